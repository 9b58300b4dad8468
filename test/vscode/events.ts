// Waiting on VS Code events instead of sleeping: the condition is checked now and again on every
// event, and a timeout turns "never happened" into an error that says what was awaited.
import type * as vscode from 'vscode';

export async function until<T>(
  what: string,
  event: vscode.Event<T>,
  check: () => boolean,
  timeoutMs = 15_000,
): Promise<void> {
  if (check()) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const subscription = event(() => {
      if (!check()) return;
      clearTimeout(timer);
      subscription.dispose();
      resolve();
    });
  });
}
