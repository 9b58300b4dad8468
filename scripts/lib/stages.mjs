// The stages of `npm test`, each with its tests counted, run in order until the first failure,
// and the summary that ends the output.

function seconds(ms) {
  return ms >= 60_000 ? `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** A stage's result: its test counts, or one passed check when it has none. */
function counted(result) {
  return typeof result?.passed === 'number' ? result : { passed: 1, failed: 0 };
}

export class Stages {
  /** @param {string[]} skip names of stages not to run (for a quicker local loop, never in CI) */
  constructor(skip = []) {
    this.skip = new Set(skip);
    this.done = [];
    this.started = Date.now();
    this.failed = false;
  }

  /**
   * Runs `fn` as a stage unless an earlier one failed. `fn` resolves with
   * { passed, failed, detail } (counts of tests) or anything else for a single check;
   * throwing fails the stage.
   */
  async run(name, fn) {
    if (this.failed || this.skip.has(name)) {
      this.done.push({ name, skipped: this.failed ? 'an earlier stage failed' : '--skip' });
      return undefined;
    }
    console.log(`\n▶ ${name}`);
    const started = Date.now();
    let result;
    try {
      result = counted(await fn());
    } catch (error) {
      console.error(`\n✘ ${name}: ${error instanceof Error ? error.message : String(error)}`);
      result = { passed: 0, failed: 1, detail: 'error' };
    }
    const entry = { name, ms: Date.now() - started, passed: result.passed, failed: result.failed, detail: result.detail };
    this.done.push(entry);
    if (entry.failed > 0) this.failed = true;
    return result;
  }

  /** Runs independent stages side by side (their functions should buffer their output). */
  async runInParallel(list) {
    if (this.failed) {
      for (const [name] of list) this.done.push({ name, skipped: 'an earlier stage failed' });
      return;
    }
    list = list.filter(([name]) => {
      if (!this.skip.has(name)) return true;
      this.done.push({ name, skipped: '--skip' });
      return false;
    });
    if (list.length === 0) return;
    console.log(`\n▶ ${list.map(([name]) => name).join(' and ')} (side by side)`);
    const entries = await Promise.all(list.map(async ([name, fn]) => {
      const started = Date.now();
      try {
        const result = counted(await fn());
        return { name, ms: Date.now() - started, ...result };
      } catch (error) {
        console.error(`\n✘ ${name}: ${error instanceof Error ? error.message : String(error)}`);
        return { name, ms: Date.now() - started, passed: 0, failed: 1, detail: 'error' };
      }
    }));
    for (const entry of entries) {
      this.done.push(entry);
      if (entry.failed > 0) this.failed = true;
    }
  }

  /** Prints one line per stage and the final `N passed, N failed`. */
  summary() {
    const width = Math.max(...this.done.map((stage) => stage.name.length));
    console.log('\nsummary');
    let passed = 0;
    let failed = 0;
    for (const stage of this.done) {
      if (stage.skipped) {
        console.log(`  - ${stage.name.padEnd(width)}  not run (${stage.skipped})`);
        continue;
      }
      passed += stage.passed;
      failed += stage.failed;
      const mark = stage.failed > 0 ? '✘' : '✔';
      const counts = `${stage.passed} passed, ${stage.failed} failed`;
      console.log(`  ${mark} ${stage.name.padEnd(width)}  ${counts.padEnd(22)} ${seconds(stage.ms).padStart(10)}${stage.detail ? `  ${stage.detail}` : ''}`);
    }
    console.log(`  total time ${seconds(Date.now() - this.started)}`);
    if (this.skip.size > 0) console.log(`  stages skipped on request: ${[...this.skip].join(', ')} (not a full run)`);
    console.log(`${passed} passed, ${failed} failed`);
    return { passed, failed };
  }
}
