/**
 * Imported first by the tests of the real agent CLIs, before `node:test`: installs the CLIs (which
 * needs the npm registry), then moves the test file into a loopback-only network namespace.
 */
import { agentClis } from '../helpers/agentClis';
import { runInLoopbackNamespace } from '../helpers/loopbackNetwork';

export const clis = agentClis();
export const network = runInLoopbackNamespace();
