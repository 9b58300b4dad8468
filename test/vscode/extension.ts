// The extension under test, as the extension host sees it.
import * as vscode from 'vscode';

export const EXTENSION_ID = 'agent-factory.agent-factory';

/** What the tests read from package.json (through the extension, not from disk). */
export interface Manifest {
  name: string;
  publisher: string;
  contributes: {
    commands?: { command: string; title: string; category?: string }[];
    views?: Record<string, { id: string; name: string }[]>;
    viewsContainers?: Record<string, { id: string; title: string }[]>;
  };
}

export function ourExtension(): vscode.Extension<unknown> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  if (!extension) throw new Error(`extension ${EXTENSION_ID} is not loaded in this extension host`);
  return extension;
}

export function manifest(): Manifest {
  return ourExtension().packageJSON as Manifest;
}

/** Activates the extension (a no-op when it already is) and returns it. */
export async function activated(): Promise<vscode.Extension<unknown>> {
  const extension = ourExtension();
  await extension.activate();
  return extension;
}
