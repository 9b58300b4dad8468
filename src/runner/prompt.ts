/**
 * The prompt file a run's agent reads (`.factory/runs/<run id>/prompt.md`): the ticket, its
 * acceptance criteria and open bugs, the PM's latest findings, what earlier attempts reported (so
 * a retry continues rather than restarts), and how to report back through `agent-factory`.
 */
import { writeFile } from 'node:fs/promises';
import type { Run } from '../domain/run';
import type { Ticket } from '../domain/ticket';
import type { BoardReader } from '../store/api';
import { ensureRunDir, readTail, runLogFile, runPromptFile } from './runFiles';
import { PM_THREAD_KEY } from './threads';

const EARLIER_ATTEMPTS = 5;
const EARLIER_TAIL_LINES = 15;
const RECENT_MESSAGES = 8;

const STAGE_BRIEFS: Record<string, string> = {
  IN_DEV:
    'Implement this ticket in the working folder. Commit on the branch as you go, in small commits with clear messages. ' +
    'When the acceptance criteria are met and everything is committed, run `agent-factory done` (or exit with status 0).',
  IN_QA:
    'Check the change on this branch against the acceptance criteria: build it, run the tests, try the edge cases. ' +
    'If it holds, run `agent-factory done`. If it does not, report each problem with `agent-factory note` and exit with a non-zero status.',
  IN_UX:
    'Review what a user sees and does in this change: wording, flows, accessibility, error messages. ' +
    'Fix small things yourself and commit them; report larger ones with `agent-factory note`. Run `agent-factory done` when it is good to ship.',
  IN_SEC:
    'Review this change for security problems: secrets, injection, unsafe file or process handling, missing validation. ' +
    'Report each finding with `agent-factory note`; exit non-zero when something must be fixed, or run `agent-factory done` when it is clean.',
  PM_REVIEW:
    'Review the whole change as the product manager: does it do what the ticket asks, are the acceptance criteria met, is anything missing? ' +
    'Run `agent-factory done` to finish the ticket, or explain what is missing with `agent-factory note` and exit non-zero.',
};

export interface PromptContext {
  ticket: Ticket;
  run: Run;
  worktree: string;
  boardDir: string;
  /** Log tails of earlier attempts, by run id. */
  earlierTails?: ReadonlyMap<string, string[]>;
}

/** The prompt text, from what the board knows now. */
export function buildPrompt(reader: BoardReader, ctx: PromptContext): string {
  const { ticket, run } = ctx;
  const out: string[] = [];
  out.push(`# ${ticket.id}: ${ticket.title}`, '');
  out.push(
    `You are the coding agent for the **${run.stage}** stage of ticket ${ticket.id} on an Agent Factory board ` +
      `(run ${run.id}, attempt ${run.attempt}).`,
  );
  out.push(`Working folder: \`${ctx.worktree}\`${ticket.worktree ? ` (branch \`${ticket.worktree.branch}\`, based on \`${ticket.worktree.base}\`)` : ''}.`, '');
  out.push('## Your job in this stage', '', STAGE_BRIEFS[run.stage] ?? 'Work the ticket, then run `agent-factory done`.', '');

  out.push('## Ticket', '');
  out.push(`- Priority: ${ticket.priority} (1 = critical, 4 = low)`, `- Type: ${ticket.type}`);
  if (ticket.labels.length > 0) out.push(`- Labels: ${ticket.labels.join(', ')}`);
  out.push('', ticket.description.trim() || '(no description)', '');

  out.push('## Acceptance criteria', '');
  if (ticket.acceptanceCriteria.length === 0) out.push('(none written: use the description and good judgement)');
  for (const c of ticket.acceptanceCriteria) out.push(`- [ ] ${c}`);
  out.push('');

  const bugs = reader.listBugs(ticket.id).filter((b) => !b.fixed);
  out.push('## Open bugs', '');
  if (bugs.length === 0) out.push('(none)');
  for (const b of bugs) {
    const where = b.file ? ` at ${b.file}${b.line !== undefined ? `:${b.line}` : ''}` : '';
    out.push(`- **${b.severity}** ${b.title}${where} (found by ${b.foundBy})${b.description ? `: ${oneLine(b.description)}` : ''}`);
  }
  out.push('');

  const checkIn = reader.latestCheckIn(ticket.id);
  if (checkIn) {
    const f = checkIn.findings;
    out.push(`## Latest PM check-in (${checkIn.type})`, '', checkIn.summary, '');
    out.push(`- Progress: ${Math.round(f.progressPercent)}%`);
    for (const b of f.blockers) out.push(`- Blocker: ${b}`);
    for (const c of f.concerns) out.push(`- Concern: ${c}`);
    for (const a of f.achievements) out.push(`- Done so far: ${a}`);
    out.push('');
  }

  const earlier = reader
    .listRuns({ ticketId: ticket.id })
    .filter((r) => r.id !== run.id && r.status !== 'queued')
    .sort((a, b) => b.startedAt - a.startedAt)
    .slice(0, EARLIER_ATTEMPTS);
  if (earlier.length > 0) {
    out.push('## Earlier attempts (newest first)', '');
    for (const r of earlier) {
      const exit = r.exitCode !== undefined ? `, exit code ${r.exitCode}` : '';
      const progress = r.reportedProgress !== undefined ? `, reported ${r.reportedProgress}% done` : '';
      out.push(`- ${r.stage} attempt ${r.attempt} by ${r.agent}: **${r.status}**${exit}${progress}${r.note ? `: ${oneLine(r.note)}` : ''}`);
      const tail = ctx.earlierTails?.get(r.id) ?? [];
      if (tail.length > 0) out.push('', fence(tail.join('\n')), '');
    }
    out.push('');
  }

  const recent = recentMessages(reader, ticket.id);
  if (recent.length > 0) {
    out.push('## Recent messages on this ticket', '');
    for (const m of recent) out.push(`- ${m.author}: ${oneLine(m.body)}`);
    out.push('');
  }

  out.push(
    '## Reporting back',
    '',
    `The environment holds AGENT_FACTORY_RUN_ID=${run.id}, AGENT_FACTORY_TICKET=${ticket.id} and AGENT_FACTORY_BOARD (the board folder); ` +
      '`agent-factory` is on the PATH (if it is not, use `node "$AGENT_FACTORY_CLI"`). Messages appear in the ticket\'s PM thread.',
    '',
    '- `agent-factory note "<text>"`: tell the people watching what you did or found',
    '- `agent-factory progress <percent> ["<text>"]`: how far along you are (0-100)',
    '- `agent-factory heartbeat`: you are still working, with nothing to say yet',
    '- `agent-factory block "<reason>"`: you cannot go on without a human (moves the ticket to BLOCKED); then exit',
    '- `agent-factory done`: this stage is finished; the ticket moves to the next stage (exiting with status 0 does the same)',
    '',
    'A non-zero exit status records a failed attempt; its last output lines are shown to the next attempt.',
    '',
  );
  return out.join('\n');
}

/** Writes the prompt file of `run` and returns its path. */
export async function writePromptFile(reader: BoardReader, ctx: Omit<PromptContext, 'earlierTails'>): Promise<string> {
  const earlierTails = new Map<string, string[]>();
  for (const r of reader.listRuns({ ticketId: ctx.ticket.id })) {
    if (r.id === ctx.run.id || (r.status !== 'failed' && r.status !== 'timed_out' && r.status !== 'lost')) continue;
    const tail = await readTail(r.logFile ?? runLogFile(ctx.boardDir, r.id), EARLIER_TAIL_LINES);
    if (tail.length > 0) earlierTails.set(r.id, tail);
  }
  await ensureRunDir(ctx.boardDir, ctx.run.id);
  const file = runPromptFile(ctx.boardDir, ctx.run.id);
  await writeFile(file, buildPrompt(reader, { ...ctx, earlierTails }), 'utf8');
  return file;
}

function recentMessages(reader: BoardReader, ticketId: string): { author: string; body: string }[] {
  // The PM thread holds what people replied and agents noted; the run thread is summarized above.
  const thread = reader.findConversation(ticketId, PM_THREAD_KEY);
  if (!thread) return [];
  return reader
    .listMessages(thread.id)
    .filter((m) => m.kind !== 'checkin')
    .slice(-RECENT_MESSAGES);
}

function oneLine(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** A code fence longer than any backtick run inside, so output cannot close it early. */
function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}text\n${text}\n${ticks}`;
}
