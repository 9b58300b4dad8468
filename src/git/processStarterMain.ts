/**
 * The process starter's program (dist/processStarter.js): the editor's git commands start here,
 * in a small process, instead of in the extension host (see src/process/processStarter.ts).
 */
import { serveStarter } from '../process/starterServer';
import { GIT_TASK, gitTask, type GitTaskParams } from './runGit';

serveStarter({ [GIT_TASK]: (params, signal) => gitTask(params as GitTaskParams, signal) });
