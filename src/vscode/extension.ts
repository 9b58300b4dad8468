import * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext): void {
  const started = Date.now();
  const log = vscode.window.createOutputChannel('Agent Factory', { log: true });
  context.subscriptions.push(log);
  log.info(`Agent Factory activated in ${Date.now() - started} ms`);
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
