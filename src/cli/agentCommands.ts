/**
 * What a running agent reports through on the way: `note`, `progress`, `block`, `heartbeat` (the
 * verdicts that end a stage are in verdictCommands.ts). The run comes from AGENT_FACTORY_RUN_ID
 * (set by the runner); notes and blocks land in the ticket's PM thread, progress on the run.
 */
import { assertEntityId } from '../domain/ids';
import { isLive, type Run } from '../domain/run';
import { attentionText } from '../domain/runAttention';
import { maskEvidence } from '../runner/maskEvidence';
import { requireLiveRun } from '../loop/verdicts';
import type { BoardTx } from '../store/api';
import { ensurePmThread } from '../runner/threads';
import { notFound, usage } from './cliError';
import { positionals, stringOption, type Command, type CommandContext } from './command';

export function runIdFrom(ctx: CommandContext): string {
  const raw = ctx.where.env.AGENT_FACTORY_RUN_ID?.trim();
  if (!raw) {
    throw usage('this command is for a running agent: AGENT_FACTORY_RUN_ID is not set (the runner sets it for the agents and terminals it starts)');
  }
  return assertEntityId(raw, 'AGENT_FACTORY_RUN_ID');
}

function requireRun(tx: BoardTx, runId: string): Run {
  const run = tx.getRun(runId);
  if (!run) throw notFound(`there is no run ${runId} on this board (AGENT_FACTORY_RUN_ID)`);
  return run;
}

export function text(ctx: CommandContext, name: string): string {
  const [value] = positionals(ctx, [name], { rest: true });
  const trimmed = (value ?? '').trim();
  if (trimmed === '') throw usage(`<${name}> cannot be empty`);
  return trimmed;
}

function parsePercent(raw: string): number {
  // Plain decimal digits only: Number() would also take "1e1", "0x10", " 5 " and "".
  const n = /^\d{1,3}(\.\d+)?%?$/.test(raw) ? Number(raw.replace(/%$/, '')) : NaN;
  if (!Number.isFinite(n) || n < 0 || n > 100) throw usage(`progress must be a number from 0 to 100, not ${JSON.stringify(raw)} (plain digits, like 40 or 62.5)`);
  return Math.round(n * 10) / 10;
}

export const noteCommand: Command = {
  name: 'note',
  synopsis: 'note <text>',
  summary: "Add a note to the ticket's PM thread.",
  forAgents: true,
  async run(ctx) {
    const runId = runIdFrom(ctx);
    const body = text(ctx, 'text');
    const board = await ctx.board();
    const run = await board.write((tx) => {
      const r = requireRun(tx, runId);
      const thread = ensurePmThread(tx, r.ticketId);
      tx.addMessage({ conversationId: thread.id, author: r.agent, kind: 'note', body, metadata: { runId: r.id, stage: r.stage } });
      return isLive(r) ? tx.updateRun(r.id, { lastOutputAt: ctx.clock.now() }) : r;
    });
    ctx.print(`Noted on ${run.ticketId}.`);
  },
};

export const progressCommand: Command = {
  name: 'progress',
  synopsis: 'progress <percent> [text]',
  summary: "Report how far along the stage is (0-100) and what you are doing; it updates the run's line and the ticket's progress.",
  forAgents: true,
  async run(ctx) {
    const runId = runIdFrom(ctx);
    const [rawPercent, rest] = positionals(ctx, ['percent', 'text'], { rest: true, optional: 1 });
    const percent = parsePercent(rawPercent ?? '');
    const board = await ctx.board();
    // Not a thread message: progress is a state of the run, shown where the run is; notes and
    // questions for a person go to the thread (`note`, `block`).
    const run = await board.write((tx) => tx.reportRunProgress(requireLiveRun(tx, runId).id, percent, rest, ctx.clock.now()));
    ctx.print(`${run.ticketId}: progress ${percent}% recorded.`);
  },
};

export const blockCommand: Command = {
  name: 'block',
  synopsis: 'block <reason>',
  summary: 'Stop: the ticket needs a person. Moves it to BLOCKED with the reason; a reply makes it READY again. Then exit.',
  forAgents: true,
  async run(ctx) {
    const runId = runIdFrom(ctx);
    const reason = text(ctx, 'reason');
    const board = await ctx.board();
    const ticket = await board.write((tx) => {
      const r = requireLiveRun(tx, runId);
      const current = tx.getTicket(r.ticketId);
      if (!current) throw notFound(`ticket ${r.ticketId} no longer exists`);
      const blocked = tx.transition(current.id, current.status, 'BLOCKED', r.agent, reason);
      const thread = ensurePmThread(tx, r.ticketId);
      tx.addMessage({ conversationId: thread.id, author: r.agent, kind: 'note', body: `Blocked: ${reason}`, metadata: { runId: r.id, stage: r.stage, blocked: true } });
      // A verdict: the agent stopped on purpose, and a person's reply will be its answer.
      tx.updateRun(r.id, { lastOutputAt: ctx.clock.now(), verdict: 'blocked', summary: reason });
      return blocked;
    });
    ctx.print(`${ticket.id} is BLOCKED (from ${ticket.blockedFrom ?? '?'}).`);
  },
};

const HEARTBEAT_STATES = ['waiting', 'working'] as const;

export const heartbeatCommand: Command = {
  name: 'heartbeat',
  synopsis: 'heartbeat [--state waiting|working] [--reason TEXT]',
  summary: 'Say you are still working (counts as activity for stall detection), or that you wait for a person.',
  details: [
    '--state waiting  you wait for a person (a question, a permission): the run shows as Needs input',
    '--state working  you work again (clears Needs input)',
    '--reason TEXT    what you wait for (with --state waiting)',
  ],
  options: { state: { type: 'string' }, reason: { type: 'string' } },
  forAgents: true,
  async run(ctx) {
    const runId = runIdFrom(ctx);
    positionals(ctx, []);
    const state = stringOption(ctx.values, 'state');
    if (state !== undefined && !(HEARTBEAT_STATES as readonly string[]).includes(state)) {
      throw usage(`--state must be ${HEARTBEAT_STATES.join(' or ')}, not ${JSON.stringify(state)}`);
    }
    const reason = stringOption(ctx.values, 'reason');
    if (reason !== undefined && state !== 'waiting') throw usage('--reason goes with --state waiting');
    const board = await ctx.board();
    const now = ctx.clock.now();
    await board.write((tx) => {
      const run = tx.updateRun(requireLiveRun(tx, runId).id, { lastOutputAt: now });
      if (state === 'waiting' && !run.attention?.needsInput) {
        const what = attentionText(maskEvidence(reason ?? '')) || 'the agent says it is waiting for a person';
        tx.setRunAttention(run.id, { ...run.attention, needsInput: { reason: what, since: now, source: 'hook' } });
      } else if (state === 'working' && run.attention?.needsInput) {
        tx.setRunAttention(run.id, { ...run.attention, needsInput: undefined });
      }
    });
    ctx.print('ok');
  },
};

export const AGENT_COMMANDS: Command[] = [noteCommand, progressCommand, blockCommand, heartbeatCommand];
