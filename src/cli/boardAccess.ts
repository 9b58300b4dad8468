/**
 * Finding and opening the board from the command line: the folder in AGENT_FACTORY_BOARD (set by
 * the runner for the agents it starts), else the repository of the current directory (a linked
 * worktree finds its main checkout's board).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { BOARD_DB_NAME, BOARD_DIR_NAME, resolveBoardLocation } from '../store/location';
import { openBoard, type SqlBoard } from '../store/sqlBoard';
import { bundledWasmPath } from '../store/sqlite';
import { notFound } from './cliError';

export interface CliEnvironment {
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface FoundBoard {
  dir: string;
  repoRoot: string;
}

/** The bundled CLI ships sql.js's wasm beside itself; compiled for tests it uses the package's. */
export function wasmPath(): string | undefined {
  return bundledWasmPath();
}

export async function findBoard(where: CliEnvironment): Promise<FoundBoard> {
  const fromEnv = where.env.AGENT_FACTORY_BOARD?.trim();
  if (fromEnv) {
    const given = path.resolve(where.cwd, fromEnv);
    // Accept the .factory folder itself (what the runner sets) or the repository holding it.
    const dir = path.basename(given) === BOARD_DIR_NAME || existsSync(path.join(given, BOARD_DB_NAME)) ? given : path.join(given, BOARD_DIR_NAME);
    if (!existsSync(path.join(dir, BOARD_DB_NAME))) {
      throw notFound(`no board at ${dir} (from AGENT_FACTORY_BOARD); unset it to use the current repository's board`);
    }
    return { dir, repoRoot: path.dirname(dir) };
  }
  const location = await resolveBoardLocation(where.cwd);
  if (!location) throw notFound(`${where.cwd} is not inside a git repository; run agent-factory in your project, or set AGENT_FACTORY_BOARD`);
  if (!location.exists) throw notFound(`there is no board in ${location.repoRoot} yet; create it with "agent-factory init"`);
  return { dir: location.dir, repoRoot: location.repoRoot };
}

export async function openFoundBoard(found: FoundBoard): Promise<SqlBoard> {
  // No poll timer: a command is short, and every write catches up with other processes first.
  return openBoard({ dir: found.dir, repoRoot: found.repoRoot, wasmPath: wasmPath(), create: false, pollMs: 0 });
}
