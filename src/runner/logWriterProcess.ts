/**
 * Starts the masking log writer (logWriter.ts) for one run: it reads the agent's output from
 * `input` (the read end of the agent's output pipe, or its own stdin pipe where there are no
 * FIFOs) and echoes the masked lines on its stdout to this process. It runs detached, in a session
 * of its own, so a crash of this process leaves it writing for the agent that outlives it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { FactoryError } from '../domain/errors';

/** Beside this module: dist/logWriter.js in the bundles, out/src/runner/logWriter.js in tests. */
export const LOG_WRITER_SCRIPT = path.join(__dirname, 'logWriter.js');

export function startLogWriter(logFile: string, maxBytes: number, input: number | 'pipe'): ChildProcess {
  // One small check before an agent depends on it: a missing script would lose the agent's output.
  if (!existsSync(LOG_WRITER_SCRIPT)) throw new FactoryError('runner', `the run log writer ${LOG_WRITER_SCRIPT} is missing; reinstall the extension`);
  return spawn(process.execPath, [LOG_WRITER_SCRIPT, logFile, String(Math.max(2, Math.floor(maxBytes)))], {
    // Inside VS Code process.execPath is Electron: run it as plain node.
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    shell: false,
    detached: process.platform !== 'win32',
    stdio: [input, 'pipe', 'ignore'],
    windowsHide: true,
  });
}
