// What one fake agent of the soak does, drawn from the seed: rounds of real work in its worktree
// (files, commits, a helper process that works beside it, notes and heartbeats through the CLI),
// then an ending. Every note carries a token the soak checks for at the end: an acknowledged
// write must be on the board.
import type { Step } from '../fixtures/agents/fakeAgent';
import type { Rng } from './rng';

/** `done` ends with the stage's verdict (`done` or `approve`). */
export type Ending = 'done' | 'exit0' | 'fail' | 'overrun' | 'race' | 'stubborn';

export interface Scenario {
  ending: Ending;
  steps: Step[];
}

export interface ScenarioInput {
  ticketId: string;
  stage: string;
  /** The file a `race` agent writes just before it exits (the soak cancels around then). */
  raceMarker: string;
  /** How long an overrun agent keeps working: past agentFactory.pm.maxRunMinutes. */
  overrunMs: number;
  nextToken(): string;
  /** The ending to use instead of a random one (a race the soak is waiting for). */
  ending?: Ending | undefined;
}

const ENDINGS: Record<Ending, number> = { done: 40, exit0: 15, fail: 10, overrun: 8, race: 17, stubborn: 10 };

export function drawScenario(rng: Rng, input: ScenarioInput): Scenario {
  const ending = input.ending ?? rng.weighted(ENDINGS);
  const steps: Step[] = [];
  if (ending === 'stubborn') steps.push({ ignoreTerm: true });
  if (rng.chance(0.6)) steps.push({ worker: rng.int(200, 600) });
  if (ending === 'stubborn' || rng.chance(0.2)) steps.push({ grandchild: `grandchild-${input.ticketId}.json` });
  const rounds = ending === 'overrun' ? Math.ceil(input.overrunMs / 4000) : rng.int(1, 5);
  for (let i = 1; i <= rounds; i++) {
    const file = `soak/${input.ticketId}-${input.stage}-${i}.txt`;
    steps.push({ write: file, text: `round ${i} of ${input.ticketId} ${input.stage}\n` });
    if (rng.chance(0.7)) steps.push({ commit: `${input.ticketId}: round ${i}` });
    if (rng.chance(0.7)) steps.push({ cliRetry: ['note', input.nextToken()] });
    if (rng.chance(0.5)) steps.push({ cliAllowFail: ['heartbeat'] });
    steps.push({ sleep: ending === 'overrun' ? 4000 : rng.int(500, 3500) });
  }
  // The verdict that finishes the stage: `done` for development, `approve` for a review.
  const verdict = input.stage === 'IN_DEV' ? 'done' : 'approve';
  switch (ending) {
    case 'done':
      steps.push({ cliAllowFail: [verdict] }, { exit: 0 });
      break;
    case 'exit0':
      steps.push({ exit: 0 });
      break;
    case 'fail':
      steps.push({ stderr: 'the fake agent gives up' }, { exit: 3 });
      break;
    case 'overrun':
      steps.push({ sleep: 60_000 }, { exit: 0 });
      break;
    case 'race':
      steps.push({ record: input.raceMarker }, { sleep: 300 }, { exit: 0 });
      break;
    case 'stubborn':
      steps.push({ sleep: rng.int(5000, 20_000) }, { cliAllowFail: [verdict] }, { exit: 0 });
      break;
  }
  return { ending, steps };
}
