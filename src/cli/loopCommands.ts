/** `autopilot on|off` and `status`: the board's switch and its state at a glance, from a terminal. */
import { AGENT_NAMES } from '../agents/agent';
import { AGENTS_LEASE, publishedStatus } from '../agents/manager';
import { ATTENTION_LABELS } from '../loop/attention';
import { describeAutopilot, readAutopilot, setAutopilot } from '../loop/autopilotState';
import { readBoardStatus } from '../loop/boardStatus';
import { cliSettings } from './cliSettings';
import { usage } from './cliError';
import { flag, positionals, type Command } from './command';
import { json, safeLine, table } from './format';

export const autopilotCommand: Command = {
  name: 'autopilot',
  synopsis: 'autopilot on|off',
  summary: 'Turn the autopilot on (it starts READY tickets by priority and age) or off; no argument shows it.',
  details: ['The switch is kept in the board: every window and a headless host follow it.'],
  async run(ctx) {
    const [raw] = positionals(ctx, ['on|off'], { optional: 1 });
    const board = await ctx.board();
    if (raw === undefined) {
      ctx.print(describeAutopilot(readAutopilot(board)));
      return;
    }
    const word = raw.trim().toLowerCase();
    if (word !== 'on' && word !== 'off') throw usage(`autopilot takes "on" or "off", not ${JSON.stringify(raw)}`);
    const state = await board.write((tx) => setAutopilot(tx, word === 'on', 'user', ctx.clock.now()));
    ctx.print(`Autopilot is ${state.on ? 'on' : 'off'}.`);
  },
};

export const statusCommand: Command = {
  name: 'status',
  synopsis: 'status [--json]',
  summary: "What the status bar shows: the agents' health, what needs a person, the autopilot and the queue.",
  options: { json: { type: 'boolean' } },
  async run(ctx) {
    positionals(ctx, []);
    const board = await ctx.board();
    const lease = board.getLease(AGENTS_LEASE);
    const settings = cliSettings(ctx, board.repoRoot);
    const running = board.isLeaseLive(lease, settings.leaseTimeoutMs());
    const status = readBoardStatus(
      board,
      AGENT_NAMES.flatMap((name) => publishedStatus(board, name) ?? []),
      undefined,
      settings.autopilotSettings(),
    );
    if (flag(ctx.values, 'json')) {
      ctx.print(json({ ...status, runningIn: running ? (lease?.owner ?? null) : null }));
      return;
    }
    const lines = [status.headline, ''];
    for (const item of status.attention.items) lines.push(`  ${item.ticketId}  ${ATTENTION_LABELS[item.kind].toLowerCase()}: ${safeLine(item.detail, 160)}`);
    if (status.attention.items.length > 0) lines.push('');
    if (status.agents.length > 0) {
      lines.push(table(status.agents.map((a) => [a.name, a.state, safeLine(a.lastError ? `error: ${a.lastError}` : a.activity, 120)])));
    }
    lines.push(running ? `Agents running in ${lease?.owner ?? '?'}.` : 'No window or host is running the background agents now; these are their last known statuses.');
    if (status.progress !== undefined) lines.push(`Board progress: ${status.progress}`);
    lines.push(status.autopilotLine, status.queue);
    ctx.print(lines.join('\n'));
  },
};
