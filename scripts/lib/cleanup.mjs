// One place that remembers what a test run started (servers, browsers, temp folders) and undoes
// it on the way out: after a normal finish, on a failure, on Ctrl-C or SIGTERM, and, for what
// can be undone synchronously, even when the process dies of an uncaught error.
const tasks = [];
let running;

/**
 * Registers `fn` to run at cleanup (last registered runs first). `lastResort`, if given, is a
 * synchronous version run when the process exits before `cleanup()` got to it.
 * Returns a function that runs `fn` now (once).
 */
export function onCleanup(fn, lastResort) {
  const entry = { fn, lastResort, done: false };
  tasks.push(entry);
  return async () => {
    if (entry.done) return;
    entry.done = true;
    await fn();
  };
}

/** Runs every pending cleanup task once, newest first; failures are reported and skipped. */
export function cleanup() {
  running ??= (async () => {
    while (tasks.length > 0) {
      const entry = tasks.pop();
      if (entry.done) continue;
      entry.done = true;
      try {
        await entry.fn();
      } catch (error) {
        console.error(`cleanup: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    running = undefined;
  })();
  return running;
}

process.on('exit', () => {
  for (const entry of tasks.reverse()) {
    if (entry.done || !entry.lastResort) continue;
    entry.done = true;
    try {
      entry.lastResort();
    } catch {
      // Exiting anyway: nothing left to report to.
    }
  }
});

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping everything this run started`);
    void cleanup().finally(() => process.exit(130));
  });
}
