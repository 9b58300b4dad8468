// The longest block of this thread while some work runs: perf_hooks.monitorEventLoopDelay (its
// maximum, at 1 ms resolution) and, as a cross-check, the longest gap between the ticks of a 1 ms
// timer minus the 1 ms it asked for. A block is time the event loop could not run anything else:
// on the extension host, time no other extension and no typing feedback gets.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';

export async function measureHostBlock(work) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let last = performance.now();
  let maxGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last - 1);
    last = now;
  }, 1);
  histogram.enable();
  try {
    const result = await work();
    // One more turn so a block at the very end is seen by both.
    await new Promise((resolve) => setTimeout(resolve, 2));
    return { result, blockMs: Math.max(0, histogram.max / 1e6 - 1), gapMs: maxGap };
  } finally {
    histogram.disable();
    clearInterval(timer);
  }
}

export function fmtBlock(b) {
  return `${b.blockMs.toFixed(1)} / ${b.gapMs.toFixed(1)}`;
}
