/**
 * Finding and opening the board from the command line: the folder in AGENT_FACTORY_BOARD (set by
 * the runner for the agents it starts), else the repository of the current directory (a linked
 * worktree finds its main checkout's board).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { BOARD_DB_NAME, BOARD_DIR_NAME, resolveBoardLocation } from '../store/location';
import { openReportLines } from '../store/repairRecord';
import { openBoard, type SqlBoard } from '../store/sqlBoard';
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
  const bundled = path.join(__dirname, 'sql-wasm.wasm');
  return existsSync(bundled) ? bundled : undefined;
}

export async function findBoard(where: CliEnvironment): Promise<FoundBoard> {
  const fromEnv = where.env.AGENT_FACTORY_BOARD?.trim();
  if (fromEnv) {
    const given = path.resolve(where.cwd, fromEnv);
    // Accept the .factory folder itself (what the runner sets) or the repository holding it.
    const dir = path.basename(given) === BOARD_DIR_NAME || existsSync(path.join(given, BOARD_DB_NAME)) ? given : path.join(given, BOARD_DIR_NAME);
    if (!existsSync(path.join(dir, BOARD_DB_NAME)) && !existsSync(path.join(dir, `${BOARD_DB_NAME}.bak`))) {
      throw notFound(`no board at ${dir} (from AGENT_FACTORY_BOARD); unset it to use the current repository's board`);
    }
    return { dir, repoRoot: path.dirname(dir) };
  }
  const location = await resolveBoardLocation(where.cwd);
  if (!location) throw notFound(`${where.cwd} is not inside a git repository; run agent-factory in your project, or set AGENT_FACTORY_BOARD`);
  if (!location.exists) throw notFound(`there is no board in ${location.repoRoot} yet; create it with "agent-factory init"`);
  return { dir: location.dir, repoRoot: location.repoRoot };
}

/**
 * Opens the board and tells the user on stderr what the editor would show: a repair made while
 * opening, a repair another process made that this one has not reported yet is the editor's job
 * (it stays open); notes such as a read-only folder or a fallback lock.
 */
export async function openFoundBoard(found: FoundBoard, warn: (line: string) => void = () => undefined): Promise<SqlBoard> {
  // No poll timer: a command is short, and every write catches up with other processes first.
  const board = await openBoard({ dir: found.dir, repoRoot: found.repoRoot, wasmPath: wasmPath(), create: false, pollMs: 0 });
  const { warnings, notes } = openReportLines(board.openReport);
  for (const line of warnings) warn(`warning: ${line}`);
  for (const line of notes) warn(`note: ${line}`);
  return board;
}
