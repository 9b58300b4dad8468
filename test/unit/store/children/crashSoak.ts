/**
 * The crash soak: three processes write to one board while one of them, chosen at random, is
 * killed with SIGKILL at a random moment (inside a write, a sync, a compaction or its start-up)
 * and started again, until `kills` kills. Every few kills, and at the end, the board is opened
 * fresh and every write a writer acknowledged must be there, with no id handed out twice and no
 * repair needed. Bounded by its count of kills; the seed fixes which writer and when.
 */
import { join } from 'node:path';
import { openBoard } from '../../../../src/store/sqlBoard';
import { startChild } from './spawnChild';
import type { Child } from './spawnChild';
import { Rng } from '../../../soak/rng';

const CHILD = join(__dirname, 'boardChild.js');
const NAMES = ['a', 'b', 'c'];

export interface SoakOptions {
  dir: string;
  kills: number;
  seed: number;
  lock?: 'os' | 'file';
  /** Check the board every this many kills (and at the end). */
  checkEvery?: number;
  log?: (line: string) => void;
}

export interface SoakResult {
  kills: number;
  acknowledged: number;
  lost: string[];
  duplicateIds: number;
  repairs: string[];
  seconds: number;
}

export async function runCrashSoak(opts: SoakOptions): Promise<SoakResult> {
  const rng = new Rng(opts.seed);
  const rnd = (): number => rng.next();
  const lock = opts.lock ?? 'os';
  const checkEvery = opts.checkEvery ?? 50;
  const started = Date.now();
  await (await openBoard({ dir: opts.dir, repoRoot: opts.dir, pollMs: 0, lockMechanism: lock })).close();
  const acked = new Map<string, number>(NAMES.map((n) => [n, 0]));
  const acknowledged = new Set<string>();
  const next = new Map<string, number>(NAMES.map((n) => [n, 1]));
  const children = new Map<string, Child>();
  const start = (name: string): void => {
    children.set(name, startChild(CHILD, ['soak-writer', opts.dir, name, String(next.get(name) ?? 1), lock]));
  };
  const collect = (name: string): void => {
    for (const line of children.get(name)?.lines ?? []) {
      const m = /^ack (\w) (\d+)$/.exec(line);
      if (m === null) continue;
      acknowledged.add(`${m[1]}-${m[2]}`);
      acked.set(name, Math.max(acked.get(name) ?? 0, Number(m[2])));
    }
  };
  const result: SoakResult = { kills: 0, acknowledged: 0, lost: [], duplicateIds: 0, repairs: [], seconds: 0 };
  const check = async (): Promise<void> => {
    const board = await openBoard({ dir: opts.dir, repoRoot: opts.dir, pollMs: 0, create: false, lockMechanism: lock });
    try {
      if (board.openReport.restored) result.repairs.push(board.openReport.message ?? 'repaired');
      const tickets = board.listTickets();
      const titles = new Set(tickets.map((t) => t.title));
      for (const w of acknowledged) if (!titles.has(w) && !result.lost.includes(w)) result.lost.push(w);
      result.duplicateIds += tickets.length - new Set(tickets.map((t) => t.id)).size;
    } finally {
      await board.close();
    }
  };
  for (const name of NAMES) start(name);
  try {
    while (result.kills < opts.kills) {
      const name = NAMES[Math.floor(rnd() * NAMES.length)] ?? 'a';
      const child = children.get(name);
      // Most kills land while the writer is writing (after its first write since it started),
      // the others while it is still starting (reading, repairing, migrating).
      if (rnd() < 0.8) await child?.waitForLine(/^ack /, 120_000);
      await new Promise((resolve) => setTimeout(resolve, Math.floor(rnd() * 100)));
      await child?.kill('SIGKILL');
      result.kills++;
      collect(name);
      next.set(name, (acked.get(name) ?? 0) + 1000);
      start(name);
      if (result.kills % checkEvery === 0 || result.kills === opts.kills) {
        await check();
        opts.log?.(`${result.kills} kills, ${acknowledged.size} acknowledged writes, ${result.lost.length} lost, ${result.repairs.length} repairs`);
      }
    }
  } finally {
    await Promise.all([...children.values()].map((c) => c.kill('SIGKILL')));
  }
  for (const name of NAMES) collect(name);
  await check();
  result.acknowledged = acknowledged.size;
  result.seconds = (Date.now() - started) / 1000;
  return result;
}
