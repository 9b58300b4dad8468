import type { Run } from '../../../src/domain/run';

/** The most runs that were live at one moment, from the run rows' start and end times. */
export function mostLiveAtOnce(runs: readonly Pick<Run, 'startedAt' | 'endedAt'>[]): number {
  const edges = runs.flatMap((r) => [
    { at: r.startedAt, d: 1 },
    { at: r.endedAt ?? Number.POSITIVE_INFINITY, d: -1 },
  ]);
  // At one instant an end comes before a start: a run that ended as another started never overlapped it.
  edges.sort((a, b) => a.at - b.at || a.d - b.d);
  let live = 0;
  let most = 0;
  for (const e of edges) most = Math.max(most, (live += e.d));
  return most;
}
