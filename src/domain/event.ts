/**
 * A tiny event emitter with the call shape of `vscode.Event`, so the VS Code layer can subscribe
 * to headless objects directly (and dispose the subscription) without an adapter.
 */
export interface Disposable {
  dispose(): void;
}

export type Event<T> = (listener: (e: T) => unknown, thisArg?: unknown, disposables?: Disposable[]) => Disposable;

export class Emitter<T> implements Disposable {
  private listeners = new Set<(e: T) => unknown>();
  private disposed = false;

  readonly event: Event<T> = (listener, thisArg, disposables) => {
    const bound = thisArg === undefined ? listener : listener.bind(thisArg);
    if (!this.disposed) this.listeners.add(bound);
    const subscription = { dispose: () => void this.listeners.delete(bound) };
    disposables?.push(subscription);
    return subscription;
  };

  fire(e: T): void {
    for (const listener of [...this.listeners]) {
      try {
        const result = listener(e);
        if (result instanceof Promise) result.catch(reportListenerError);
      } catch (err) {
        reportListenerError(err);
      }
    }
  }

  dispose(): void {
    this.disposed = true;
    this.listeners.clear();
  }
}

function reportListenerError(err: unknown): void {
  // A broken listener must not stop the others nor the code that fired the event.
  console.error('agent-factory: event listener failed', err);
}
