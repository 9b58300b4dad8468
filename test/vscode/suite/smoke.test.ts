import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as vscode from 'vscode';
import { testWorkspace } from '../environment';
import { activated, EXTENSION_ID, ourExtension } from '../extension';
import { repositoryAt } from '../git';

suite('extension host smoke', () => {
  test('opens the throwaway repository as the only workspace folder', () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.deepEqual(folders.map((folder) => folder.uri.fsPath), [testWorkspace()]);
  });

  test('loads Agent Factory and activates it', async () => {
    assert.equal(ourExtension().id, EXTENSION_ID);
    const extension = await activated();
    assert.ok(extension.isActive, 'the extension is not active after activate()');
  });

  test('the git extension sees the workspace repository on main at its first commit', async () => {
    const folder = vscode.workspace.workspaceFolders![0].uri;
    const repo = await repositoryAt(folder);
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: folder.fsPath, encoding: 'utf8' }).trim();
    assert.equal(repo.state.HEAD?.name, 'main');
    assert.equal(repo.state.HEAD?.commit, head);
  });
});
