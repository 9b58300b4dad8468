// A real board (sql.js file in `.factory`) of a given size, made through the store's own API from
// a bench bundle of src/store (bundle(root, name, ['src/store/sqlBoard.ts', 'src/store/storeWorker.ts'])):
// 5% of the tickets active (IN_DEV to PM_REVIEW, with two check-ins each), a tenth READY, a third
// DONE, the rest in BACKLOG; every ticket has a few history rows. Compacted and closed afterwards,
// so whoever opens it next reads one snapshot.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const ACTIVE = ['IN_DEV', 'IN_QA', 'IN_UX', 'IN_SEC', 'PM_REVIEW'];
const PIPELINE = ['BACKLOG', 'READY', 'IN_DEV', 'IN_QA', 'IN_UX', 'IN_SEC', 'PM_REVIEW', 'DONE'];
const FINDINGS = { progressPercent: 40, concerns: [], blockers: [], achievements: ['3 commits'], evidence: ['3 files changed'], stalled: false };

/** The status ticket number `i` (from 0) of a board of `size` ends in. */
export function generatedStatus(i, size) {
  if (i < Math.round(size * 0.05)) return ACTIVE[i % ACTIVE.length];
  if (i % 3 === 0) return 'DONE';
  if (i % 10 === 1) return 'READY';
  return 'BACKLOG';
}

/** Creates the board of `repoRoot` (a git repository) with `size` tickets; resolves with the counts by status. */
export async function makeBoard(build, repoRoot, size) {
  const require = createRequire(import.meta.url);
  const { openBoard } = require(join(build, 'sqlBoard.js'));
  const board = await openBoard({ dir: join(repoRoot, '.factory'), repoRoot, pollMs: 0 });
  try {
    await board.write((tx) => {
      for (let i = 0; i < size; i++) {
        const t = tx.createTicket({ title: `Ticket ${i}: make the thing work`, description: 'As a user I want it.\n', acceptanceCriteria: ['works'] }, 'user');
        const target = generatedStatus(i, size);
        for (let s = 1; s <= PIPELINE.indexOf(target); s++) tx.transition(t.id, PIPELINE[s - 1], PIPELINE[s], 'runner');
        if (ACTIVE.includes(target)) {
          const conv = tx.createConversation({ ticketId: t.id, type: 'pm_checkin', title: 'PM check-ins', key: 'pm' });
          for (let c = 0; c < 2; c++) tx.addCheckIn({ ticketId: t.id, type: 'progress', summary: 'Progress 40%', findings: FINDINGS, actionRequired: false, conversationId: conv.id });
        }
      }
    });
    await board.compact();
    return board.countByStatus();
  } finally {
    await board.close();
  }
}
