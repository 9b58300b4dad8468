// A board of `size` tickets as the PM benchmarks see it: each ticket with 5 history rows or more,
// a PM thread (open on the active tickets), 2 check-ins and 3 messages; 5% of them active (500 at 10,000), spread over the
// active statuses; 10% as many runs (1,000 at 10,000) on the active tickets, 2% of those still
// running. One transaction, then compacted, so the board opens from a plain SQLite snapshot.
export const ACTIVE = ['IN_DEV', 'IN_QA', 'IN_UX', 'IN_SEC', 'PM_REVIEW'];
const PIPELINE = ['BACKLOG', 'READY', 'IN_DEV', 'IN_QA', 'IN_UX', 'IN_SEC', 'PM_REVIEW', 'DONE'];
const FINDINGS = { progressPercent: 40, concerns: [], blockers: [], achievements: ['3 commits'], evidence: ['3 files changed'], stalled: false };

export function boardShape(size) {
  return { active: Math.round(size * 0.05), runs: Math.round(size * 0.1) };
}

/** Fills an open, empty board; returns the ticket ids in creation order. */
export async function seedBoard(board, clock, size) {
  const { active, runs } = boardShape(size);
  return board.write((tx) => {
    const ids = [];
    for (let i = 0; i < size; i++) {
      const t = tx.createTicket({ title: `Ticket ${i}: make the thing work`, description: 'As a user I want it.\n', acceptanceCriteria: ['works'] }, 'user');
      ids.push(t.id);
      const target = i < active ? ACTIVE[i % ACTIVE.length] : i % 3 === 0 ? 'DONE' : 'BACKLOG';
      if (target === 'BACKLOG') {
        for (let b = 0; b < 2; b++) {
          tx.transition(t.id, 'BACKLOG', 'READY', 'user');
          tx.transition(t.id, 'READY', 'BACKLOG', 'user');
        }
      } else {
        for (let s = 1; s <= PIPELINE.indexOf(target); s++) tx.transition(t.id, PIPELINE[s - 1], PIPELINE[s], 'runner');
      }
      const conv = tx.createConversation({ ticketId: t.id, type: 'pm_checkin', title: 'PM check-ins', key: 'pm' });
      for (let c = 0; c < 2; c++) tx.addCheckIn({ ticketId: t.id, type: 'progress', summary: 'Progress 40%', findings: FINDINGS, actionRequired: false, conversationId: conv.id });
      for (let m = 0; m < 3; m++) tx.addMessage({ conversationId: conv.id, author: 'PM', kind: 'checkin', body: `Check-in ${m}: progress 40%.` });
      // The PM resolved the threads of the tickets that left the active statuses.
      if (i >= active) tx.setConversationStatus(conv.id, 'resolved');
    }
    for (let r = 0; r < runs; r++) {
      const ticketId = ids[r % Math.max(1, active)];
      const ticket = tx.getTicket(ticketId);
      const live = r < runs * 0.02;
      const run = tx.createRun({ ticketId, stage: ticket.status, agent: 'bench-agent', status: 'running' });
      if (!live) tx.updateRun(run.id, { status: r % 4 === 0 ? 'failed' : 'succeeded', endedAt: clock.now(), exitCode: r % 4 === 0 ? 1 : 0 });
    }
    return ids;
  });
}

/** The live runs report in, as their owner does every few seconds. */
export function keepRunsAlive(board, clock) {
  return board.write((tx) => {
    for (const r of tx.listRuns({ status: 'running' })) tx.updateRun(r.id, { heartbeatAt: clock.now(), lastOutputAt: clock.now() });
  });
}

export const quietLog = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** A cycle context for an agent on `board`. */
export function cycleContext(board, clock) {
  return { board, clock, log: quietLog, signal: new AbortController().signal, setActivity() {} };
}
