/**
 * The order in which a host lets go of a board, the same for a closing editor window and a
 * headless host: first the runs it owns (agents stopped, outcomes written), then the background
 * agents (cycles ended, the lease released, so another host takes over at once), and the board
 * last, because everything before writes to it.
 */
import { errorMessage } from '../domain/errors';
import type { Logger } from '../domain/logger';
import type { AgentManager } from '../agents/manager';
import type { RunManager } from '../runner/runManager';
import type { Board } from '../store/api';

export interface HostParts {
  runs?: RunManager | undefined;
  manager?: AgentManager | undefined;
  board?: Board | undefined;
}

export async function shutDownInOrder(parts: HostParts, note: string, log: Logger): Promise<void> {
  const step = async (what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      log.error(`Shutting down: ${what} failed: ${errorMessage(err)}`);
    }
  };
  const { runs, manager, board } = parts;
  if (runs) await step('stopping the runs', () => runs.shutdown(note));
  if (manager) await step('stopping the background agents', () => manager.stop());
  if (board) await step('closing the board', () => board.close());
}
