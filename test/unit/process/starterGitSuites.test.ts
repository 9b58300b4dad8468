// The suites of real repositories again, with every git command starting in the process starter
// as it does in the editor (their tests run after this module has switched it on).
import '../git/salvage.test';
import '../git/simpleGitPort.test';
import '../git/changeListing.test';
import '../scan/gathererSources.test';
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { silentLogger } from '../../../src/domain/logger';
import { processStarterPid, stopProcessStarter, useProcessStarter } from '../../../src/process/processStarter';
import { STARTER_SCRIPT } from '../helpers/starterScript';

useProcessStarter({ script: STARTER_SCRIPT, log: silentLogger });
after(() => {
  assert.ok(processStarterPid() !== undefined, 'the suites started their git commands in the starter');
  stopProcessStarter();
});
