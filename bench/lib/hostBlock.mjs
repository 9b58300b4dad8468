// The longest block of this thread while some work runs: perf_hooks.monitorEventLoopDelay (its
// maximum, at 1 ms resolution) and the longest gap between the ticks of a 1 ms timer, minus the
// 1 ms it asked for. A block is time the event loop could not run anything else: on the extension
// host, time no other extension and no typing feedback gets. On a loaded machine both also count
// time the OS did not run the thread at all, so on Linux the thread's own CPU time between two
// ticks is read too (/proc/self/task/<tid>/schedstat, in nanoseconds): the longest such stretch is
// the work that held the thread, whatever the load.
import { readFileSync } from 'node:fs';
import { clearInterval, setInterval } from 'node:timers';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

// The main thread's task id is the process id.
const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;

/** This thread's CPU time so far, ms (Linux), or undefined. */
export function threadCpuMs() {
  const ns = threadCpuNs();
  return ns === undefined ? undefined : ns / 1e6;
}

function threadCpuNs() {
  try {
    return Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]);
  } catch {
    return undefined;
  }
}

export async function measureHostBlock(work) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let last = performance.now();
  let lastCpu = threadCpuNs();
  let maxGap = 0;
  let maxCpu = lastCpu === undefined ? undefined : 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last - 1);
    last = now;
    const cpu = threadCpuNs();
    if (cpu !== undefined && lastCpu !== undefined) maxCpu = Math.max(maxCpu, (cpu - lastCpu) / 1e6);
    lastCpu = cpu;
  }, 1);
  histogram.enable();
  try {
    const result = await work();
    // One more turn so a block at the very end is seen by all three.
    await new Promise((resolve) => setTimeout(resolve, 2));
    return { result, blockMs: Math.max(0, histogram.max / 1e6 - 1), gapMs: maxGap, cpuMs: maxCpu };
  } finally {
    histogram.disable();
    clearInterval(timer);
  }
}

/** "ELD / tick gap / on-CPU" in ms. */
export function fmtBlock(b) {
  return `${b.blockMs.toFixed(1)} / ${b.gapMs.toFixed(1)} / ${b.cpuMs === undefined ? '-' : b.cpuMs.toFixed(1)}`;
}

/** The worst of several measurements, field by field. */
export function worstBlock(blocks) {
  const max = (key) => (blocks.some((b) => b[key] === undefined) ? undefined : Math.max(...blocks.map((b) => b[key])));
  return { blockMs: max('blockMs'), gapMs: max('gapMs'), cpuMs: max('cpuMs') };
}
