import type { Logger } from '../../agents/agent';
import { errorMessage } from '../../domain/errors';
import type { PrompterHolder } from '../ui/prompter';

/**
 * A command body whose failure is logged and shown through the prompter with its reason (so the
 * in-host tests see it too), resolving to undefined instead of an unhandled rejection.
 */
export function reportedCommand<A extends unknown[], R>(name: string, deps: { prompter: PrompterHolder; log: Logger }, fn: (...args: A) => Promise<R>) {
  return async (...args: A): Promise<R | undefined> => {
    try {
      return await fn(...args);
    } catch (err) {
      deps.log.error(`${name} failed: ${errorMessage(err)}`);
      void deps.prompter.current.warning(`Agent Factory: ${name} failed: ${errorMessage(err)}`, {});
      return undefined;
    }
  };
}
