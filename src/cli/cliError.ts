/**
 * How the CLI fails: one actionable line on stderr and an exit code scripts can branch on.
 * 2 bad arguments, 3 not found (ticket, run, board), 4 an illegal move or a conflict, 1 anything else.
 */
import { FactoryError } from '../domain/errors';

export const EXIT_OK = 0;
export const EXIT_OTHER = 1;
export const EXIT_USAGE = 2;
export const EXIT_NOT_FOUND = 3;
export const EXIT_CONFLICT = 4;

export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function usage(message: string): CliError {
  return new CliError(EXIT_USAGE, message);
}

export function notFound(message: string): CliError {
  return new CliError(EXIT_NOT_FOUND, message);
}

export function conflict(message: string): CliError {
  return new CliError(EXIT_CONFLICT, message);
}

/** The exit code and the one line to print for anything thrown by a command. */
export function describeFailure(err: unknown): { exitCode: number; message: string } {
  if (err instanceof CliError) return { exitCode: err.exitCode, message: err.message };
  if (err instanceof FactoryError) {
    switch (err.reason) {
      case 'invalid-input':
        return { exitCode: EXIT_USAGE, message: err.message };
      case 'not-found':
        return { exitCode: EXIT_NOT_FOUND, message: err.message };
      case 'illegal-transition':
      case 'status-conflict':
      case 'dependency-cycle':
        return { exitCode: EXIT_CONFLICT, message: err.message };
      case 'store-locked':
        return { exitCode: EXIT_OTHER, message: `${err.message} (another process holds the board; try again)` };
      default:
        return { exitCode: EXIT_OTHER, message: err.message };
    }
  }
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    return { exitCode: EXIT_USAGE, message: `${(err as Error).message}; see --help` };
  }
  return { exitCode: EXIT_OTHER, message: err instanceof Error ? err.message : String(err) };
}
