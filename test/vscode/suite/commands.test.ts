import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activated, manifest } from '../extension';

/** Commands VS Code registers by itself for every contributed view and view container. */
function generatedByVsCode(command: string): boolean {
  const { views = {}, viewsContainers = {} } = manifest().contributes;
  const ids = [...Object.values(views).flat(), ...Object.values(viewsContainers).flat()].map((view) => view.id);
  return ids.some((id) => command.startsWith(`${id}.`));
}

suite('commands', () => {
  suiteSetup(async () => {
    await activated();
  });

  test('every contributed command has a handler once the extension is active', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const contributed = (manifest().contributes.commands ?? []).map((entry) => entry.command);
    assert.ok(contributed.length > 0, 'package.json contributes no commands');
    const missing = contributed.filter((command) => !registered.has(command));
    assert.deepEqual(missing, [], 'contributed in package.json but not registered');
  });

  test('every registered agentFactory command is contributed', async () => {
    const contributed = new Set((manifest().contributes.commands ?? []).map((entry) => entry.command));
    const registered = (await vscode.commands.getCommands(true))
      .filter((command) => command.startsWith('agentFactory.') && !generatedByVsCode(command));
    const extra = registered.filter((command) => !contributed.has(command));
    assert.deepEqual(extra, [], 'registered but missing from package.json');
  });

  test('every contributed command is in the Agent Factory category', () => {
    const outside = (manifest().contributes.commands ?? []).filter((entry) => entry.category !== 'Agent Factory');
    assert.deepEqual(outside.map((entry) => entry.command), []);
  });
});
