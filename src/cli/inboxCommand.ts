/**
 * `agent-factory inbox`: what people wrote to the running agent's ticket since it last looked.
 * Each message is handed over once (marked read by the run). `--wait` polls the board (a file
 * size check, no lock) until a message arrives or the time is up.
 */
import type { Message } from '../domain/conversation';
import type { Run } from '../domain/run';
import { takeInbox, unreadForAgent } from '../loop/inbox';
import { requireLiveRun } from '../loop/verdicts';
import type { SqlBoard } from '../store/sqlBoard';
import { runIdFrom } from './agentCommands';
import { usage } from './cliError';
import { flag, positionals, stringOption, type Command } from './command';
import { isoTime, json, safeBlock, safeLine } from './format';

const POLL_MS = 250;
const MAX_WAIT_SECONDS = 3600;

function waitSeconds(raw: string | undefined): number {
  if (raw === undefined) return 0;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || n > MAX_WAIT_SECONDS) {
    throw usage(`--wait must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}, not ${JSON.stringify(raw)}`);
  }
  return n;
}

export const inboxCommand: Command = {
  name: 'inbox',
  synopsis: 'inbox [--wait SECONDS] [--json]',
  summary: 'Messages people wrote to you (this ticket\'s agent) that you have not read yet; marks them read.',
  details: ['--wait SECONDS  when there are none, wait up to this long for one (returns as soon as one arrives)', '--json          machine-readable output'],
  options: { wait: { type: 'string', short: 'w' }, json: { type: 'boolean' } },
  forAgents: true,
  async run(ctx) {
    const runId = runIdFrom(ctx);
    positionals(ctx, []);
    const waitMs = waitSeconds(stringOption(ctx.values, 'wait')) * 1000;
    const board = await ctx.board();
    const run = requireLiveRun(board, runId);
    const deadline = Date.now() + waitMs;
    // Reads are in memory; only a message to hand over costs a write.
    while (unreadForAgent(board, run.ticketId).length === 0 && Date.now() < deadline) {
      await delay(Math.min(POLL_MS, deadline - Date.now()));
      await board.refresh();
    }
    const messages = await take(board, run, ctx.clock.now());
    if (flag(ctx.values, 'json')) {
      ctx.print(json(messages.map((m) => ({ id: m.id, from: m.author, thread: threadTitle(board, m), body: m.body, at: m.createdAt }))));
      return;
    }
    if (messages.length === 0) {
      ctx.print('No new messages.');
      return;
    }
    ctx.print(messages.map((m) => `${isoTime(m.createdAt)}  ${safeLine(m.author, 40)} in "${safeLine(threadTitle(board, m), 80)}":\n${indent(safeBlock(m.body))}`).join('\n\n'));
  },
};

async function take(board: SqlBoard, run: Run, now: number): Promise<Message[]> {
  if (unreadForAgent(board, run.ticketId).length === 0) return [];
  return board.write((tx) => takeInbox(tx, requireLiveRun(tx, run.id), now));
}

function threadTitle(board: SqlBoard, m: Message): string {
  return board.getConversation(m.conversationId)?.title ?? '';
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
