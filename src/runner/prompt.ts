/**
 * The prompt file a run's agent reads (`.factory/runs/<run id>/prompt.md`): the ticket, its
 * acceptance criteria and open bugs, the PM's latest findings, what earlier attempts reported and
 * concluded (so a retry continues rather than restarts), the answers people gave to questions
 * agents asked, what people wrote to the agent, and exactly which verdict command ends the stage.
 */
import { writeFile } from 'node:fs/promises';
import { isReviewStage, type CompletionPolicy } from '../domain/pipeline';
import type { Run } from '../domain/run';
import { isStatus } from '../domain/status';
import type { Ticket } from '../domain/ticket';
import { ANSWERS_KEY, answeredQuestions, messagesForAgent } from '../loop/inbox';
import type { BoardReader } from '../store/api';
import { ensureRunDir, readTail, runLogFile, runPromptFile } from './runFiles';
import { PM_THREAD_KEY } from './threads';

const EARLIER_ATTEMPTS = 5;
const EARLIER_TAIL_LINES = 15;
const RECENT_MESSAGES = 8;

const STAGE_BRIEFS: Record<string, string> = {
  IN_DEV:
    'Implement this ticket in the working folder. Commit on the branch as you go, in small commits with clear messages. ' +
    'When the acceptance criteria are met and everything is committed, finish the stage with `agent-factory done`.',
  IN_QA:
    'Check the change on this branch against the acceptance criteria: build it, run the tests, try the edge cases. ' +
    'Approve it if it holds; reject it with one `--bug` per problem if it does not.',
  IN_UX:
    'Review what a user sees and does in this change: wording, flows, accessibility, error messages. ' +
    'Fix small things yourself and commit them; reject the change with a `--bug` for each larger problem, or approve it.',
  IN_SEC:
    'Review this change for security problems: secrets, injection, unsafe file or process handling, missing validation. ' +
    'Reject it with one `--bug` per finding that must be fixed, or approve it when it is clean.',
  PM_REVIEW:
    'Review the whole change as the product manager: does it do what the ticket asks, are the acceptance criteria met, is anything missing? ' +
    'Approve it to finish the ticket, or reject it with a `--bug` for each thing that is missing or wrong.',
};

export interface PromptContext {
  ticket: Ticket;
  run: Run;
  worktree: string;
  boardDir: string;
  /** Log tails of earlier attempts, by run id. */
  earlierTails?: ReadonlyMap<string, string[]>;
  /** How the stage counts as finished without a verdict (`agentFactory.agents.<stage>.completion`). */
  completion?: CompletionPolicy | undefined;
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
  out.push(...finishing(run.stage, ctx.completion), '');

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
      const verdict = r.verdict !== undefined ? `, verdict **${r.verdict}**` : '';
      out.push(`- ${r.stage} attempt ${r.attempt} by ${r.agent}: **${r.status}**${verdict}${exit}${progress}${r.note ? `: ${oneLine(r.note)}` : ''}`);
      if (r.summary) out.push(`  - Its summary: ${oneLine(r.summary)}`);
      const tail = ctx.earlierTails?.get(r.id) ?? [];
      if (tail.length > 0) out.push('', fence(tail.join('\n')), '');
    }
    out.push('');
  }

  const answered = answeredQuestions(reader, ticket.id);
  if (answered.length > 0) {
    out.push('## Questions asked on this ticket, and the answers', '', 'An agent stopped with `agent-factory block`; a person answered. Act on the answers.', '');
    for (const q of answered) {
      out.push(`- ${q.run.stage} attempt ${q.run.attempt} asked: ${oneLine(q.question)}`);
      for (const a of q.answers) out.push(`  - ${a.author} answered: ${oneLine(a.body, 2000)}`);
    }
    out.push('');
  }

  const toAgent = messagesForAgent(reader, ticket.id)
    .filter((m) => m.metadata?.[ANSWERS_KEY] === undefined)
    .slice(-RECENT_MESSAGES);
  if (toAgent.length > 0) {
    out.push('## Messages to you from people (latest last)', '');
    for (const m of toAgent) out.push(`- ${m.author}: ${oneLine(m.body, 2000)}`);
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
    '- `agent-factory bug "<text>" [--severity high] [--file F --line N]`: file a bug on the ticket without ending the stage',
    '- `agent-factory inbox [--wait SECONDS]`: read what people wrote to you since you last looked',
    '- `agent-factory block "<question>"`: you cannot go on without a person (moves the ticket to BLOCKED); then exit. The answer comes with the next attempt',
    ...verdictLines(run.stage),
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

/** How this stage ends: the verdict command, an example, and what an exit without one means. */
function finishing(stage: string, completion: CompletionPolicy | undefined): string[] {
  const review = isStatus(stage) && isReviewStage(stage);
  const lines = review
    ? [
        'End the stage with exactly one verdict:',
        '',
        '```sh',
        'agent-factory approve --summary "Checked the retry logic and its tests; all criteria met"',
        'agent-factory reject --bug "Retries forever on HTTP 400" --severity high --file src/upload.ts --line 42 --bug "No test for the timeout"',
        '```',
        '',
        '`reject` files each `--bug` on the ticket and sends it back to development; the options after a `--bug` describe that bug.',
      ]
    : ['When the work is committed, end the stage with:', '', '```sh', 'agent-factory done --summary "Added retry with backoff to the upload client, with tests"', '```'];
  if (completion === 'verdict') lines.push('', 'Exiting without a verdict counts as a failed attempt, whatever your exit status.');
  if (completion === 'exit') {
    lines.push('', review ? 'Exiting with status 0 without a verdict also counts as approval.' : 'Exiting with status 0 without a verdict also counts as done, but only when the branch has commits or changed files.');
  }
  return lines;
}

function verdictLines(stage: string): string[] {
  if (isStatus(stage) && isReviewStage(stage)) {
    return [
      '- `agent-factory approve [--summary "<text>"]`: this review passes; the ticket moves to the next stage',
      '- `agent-factory reject --bug "<text>" [--severity high] [--file F --line N] ...`: this review fails; the bugs are filed and the ticket goes back to development',
    ];
  }
  return ['- `agent-factory done [--summary "<text>"]`: this stage is finished; the ticket moves to the next stage'];
}

function recentMessages(reader: BoardReader, ticketId: string): { author: string; body: string }[] {
  // The PM thread holds what agents noted and people replied; what people wrote to the agent is
  // listed above, and the run thread is summarized in the earlier attempts.
  const thread = reader.findConversation(ticketId, PM_THREAD_KEY);
  if (!thread) return [];
  return reader
    .listMessages(thread.id)
    .filter((m) => m.kind !== 'checkin' && !m.toAgent)
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
