/**
 * The messages between this process and its process starter (processStarter.ts, starterServer.ts),
 * over a Node IPC channel with advanced serialization (byte chunks travel as bytes).
 */

/** What a started process's stdin gets: nothing, or bytes this side sends. */
export type StarterStdin = 'ignore' | 'pipe';

export type ToStarter =
  /** Start `file args` in `cwd` with the starter's environment plus `extraEnv`. */
  | { kind: 'spawn'; id: number; file: string; args: string[]; cwd: string; extraEnv: Record<string, string>; stdin: StarterStdin }
  | { kind: 'stdin'; id: number; chunk: Uint8Array }
  | { kind: 'stdin-end'; id: number }
  | { kind: 'kill'; id: number; signal: NodeJS.Signals }
  /** Run one named task the starter was given (see serveStarter); resolves with its text. */
  | { kind: 'task'; id: number; task: string; params: unknown }
  | { kind: 'cancel'; id: number };

export type FromStarter =
  | { kind: 'spawned'; id: number; pid: number }
  | { kind: 'data'; id: number; stream: 'stdout' | 'stderr'; chunk: Uint8Array }
  | { kind: 'error'; id: number; message: string; code?: string | undefined }
  | { kind: 'close'; id: number; code: number | null; signal: NodeJS.Signals | null }
  | { kind: 'done'; id: number; output: string }
  | { kind: 'failed'; id: number; message: string };
