// The extension's test API and the board of the test workspace, shared by the in-host suites.
import * as vscode from 'vscode';
import type { ExtensionExports, TestApi } from '../../src/vscode/extension';
import type { Board } from '../../src/store/api';
import { activated } from './extension';

export async function testApi(): Promise<TestApi> {
  const extension = await activated();
  const api = (extension.exports as ExtensionExports | undefined)?.testing;
  if (!api) throw new Error('the extension did not expose its test API (is the host in test mode?)');
  // Activation starts opening the board and returns; the tests begin once the board is open.
  await api.boardOpened;
  return api;
}

/** The board of the test workspace, created through the real command the first time. */
export async function ensureBoard(): Promise<Board> {
  const api = await testApi();
  if (api.session.board) return api.session.board;
  await vscode.commands.executeCommand('agentFactory.createBoard');
  const board = api.session.board;
  if (!board) throw new Error('Agent Factory: Create Board did not open a board');
  return board;
}

/** Polls `check` until it holds (events from other layers arrive asynchronously). */
export async function eventually<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
