/** What people and scripts use: init, list, show, create, move, heal, agents, runs. */
import { healStuckTickets } from '../agents/pm/heal';
import { localProcessProbe } from '../process/localProbe';
import { DEFAULT_PM_SETTINGS } from '../agents/pm/settings';
import { AGENT_NAMES } from '../agents/agent';
import { AGENTS_LEASE } from '../agents/manager';
import { describeDependencies } from '../domain/dependencies';
import { assertTicketId } from '../domain/ids';
import { isLive, RUN_STATUSES, type RunStatus } from '../domain/run';
import { notScannedWhy, shortCommit } from '../domain/securityScan';
import { formatUsage } from '../domain/usage';
import { ticketUsage } from '../runner/budget';
import { PIPELINE, STATUSES, type Status } from '../domain/status';
import { TICKET_TYPES, type Priority, type TicketType } from '../domain/ticket';
import { describeHistory, describeMove, parsePriority, parseStatus, priorityName, statusLabel } from '../domain/vocabulary';
import { resolveBoardLocation } from '../store/location';
import { createBoard } from '../store/sqlBoard';
import { gatheredLocation } from '../scan/gatherer/location';
import { wasmPath } from './boardAccess';
import { notFound, usage } from './cliError';
import { flag, listOption, positionals, stringOption, type Command } from './command';
import { isoTime, json, runRow, safeBlock, safeLine, table, ticketRow } from './format';
import { salvageRow } from './salvageCommands';

const ORDER: readonly Status[] = [...PIPELINE, 'BLOCKED'];
const jsonOption = { json: { type: 'boolean' } } as const;
/** The default of agentFactory.board.leaseTimeoutSeconds: the CLI cannot read editor settings. */
const LEASE_TIMEOUT_MS = 30_000;

function statusArg(raw: string, what = 'status'): Status {
  const s = parseStatus(raw);
  if (s === undefined) throw usage(`${JSON.stringify(raw)} is not a ${what}; use one of ${STATUSES.join(', ')} (or its name, like "In Development")`);
  return s;
}

export function ticketIdArg(raw: string | undefined): string {
  try {
    return assertTicketId((raw ?? '').trim().toUpperCase());
  } catch {
    throw usage(`${JSON.stringify(raw ?? '')} is not a ticket id (expected T-<number>, like T-12)`);
  }
}

export function priorityArg(raw: string): Priority {
  // Exactly a digit or a name: " 2 ", "0x1", "2.0" and "2e0" are refused.
  const p = parsePriority(raw);
  if (p === undefined) throw usage(`--priority must be 1 (critical) to 4 (low), or its name (critical, high, medium, low), not ${JSON.stringify(raw)}`);
  return p;
}

export function typeArg(raw: string): TicketType {
  if (!(TICKET_TYPES as readonly string[]).includes(raw)) throw usage(`--type must be one of ${TICKET_TYPES.join(', ')}`);
  return raw as TicketType;
}

export const initCommand: Command = {
  name: 'init',
  synopsis: 'init',
  summary: 'Create the board (.factory/) in the repository of the current directory.',
  async run(ctx) {
    positionals(ctx, []);
    const location = await resolveBoardLocation(ctx.where.cwd);
    if (!location) throw notFound(`${ctx.where.cwd} is not inside a git repository; run "git init" first`);
    if (location.exists) {
      ctx.print(`A board already exists at ${location.dir}.`);
      return;
    }
    const board = await createBoard({ dir: location.dir, repoRoot: location.repoRoot, wasmPath: wasmPath(), pollMs: 0 });
    await board.close();
    ctx.print(`Created the board at ${location.dir}.`);
  },
};

export const listCommand: Command = {
  name: 'list',
  synopsis: 'list [--status S] [--json]',
  summary: 'List tickets, by status then priority.',
  details: ['--status S   only tickets in status S (repeatable)', '--json       machine-readable output'],
  options: { status: { type: 'string', short: 's', multiple: true }, ...jsonOption },
  async run(ctx) {
    positionals(ctx, []);
    const statuses = listOption(ctx.values, 'status').map((s) => statusArg(s));
    const board = await ctx.board();
    const tickets = board
      .listTickets(statuses.length > 0 ? { status: statuses } : undefined)
      .sort((a, b) => ORDER.indexOf(a.status) - ORDER.indexOf(b.status) || a.priority - b.priority || num(a.id) - num(b.id));
    if (flag(ctx.values, 'json')) {
      ctx.print(json(tickets));
      return;
    }
    ctx.print(tickets.length === 0 ? 'No tickets.' : table(tickets.map(ticketRow)));
  },
};

export const showCommand: Command = {
  name: 'show',
  synopsis: 'show <id> [--json]',
  summary: 'Show a ticket with its criteria, bugs, history and runs.',
  options: { ...jsonOption },
  async run(ctx) {
    const [raw] = positionals(ctx, ['id']);
    const id = ticketIdArg(raw);
    const board = await ctx.board();
    const ticket = board.getTicket(id);
    if (!ticket) throw notFound(`there is no ticket ${id}`);
    const history = board.history(id);
    const bugs = board.listBugs(id);
    const runs = board.listRuns({ ticketId: id }).sort((a, b) => a.startedAt - b.startedAt);
    const checkIn = board.latestCheckIn(id);
    const securityScan = board.getSecurityScan(id);
    const location = gatheredLocation(board, id);
    const salvages = board.listSalvages({ ticketId: id });
    if (flag(ctx.values, 'json')) {
      ctx.print(json({ ticket, history, bugs, runs, usage: ticketUsage(runs.map((r) => r.usage)) ?? null, latestCheckIn: checkIn ?? null, securityScan: securityScan ?? null, location: location ?? null, salvages }));
      return;
    }
    const lines = [`${ticket.id}  ${safeLine(ticket.title)}`, ''];
    lines.push(
      table([
        ['Status', statusLabel(ticket.status) + (ticket.status === 'BLOCKED' ? ` (from ${ticket.blockedFrom ? statusLabel(ticket.blockedFrom) : '?'}: ${safeLine(ticket.blockedReason ?? '')})` : '')],
        ['Priority', priorityName(ticket.priority)],
        ['Type', ticket.type],
        ['Source', ticket.source],
        ['Labels', ticket.labels.map((l) => safeLine(l)).join(', ') || '-'],
        ['Depends on', describeDependencies(ticket.dependsOn, (dep) => board.getTicket(dep)) || '-'],
        ['Agent', ticket.assignedAgent ? safeLine(ticket.assignedAgent) : '-'],
        ['Worktree', ticket.worktree ? `${ticket.worktree.path} (${ticket.worktree.branch})` : '-'],
        ...(location ? [['Location', `${safeLine(location.file)}:${location.line}`]] : []),
        ['Created', isoTime(ticket.createdAt)],
      ]),
    );
    if (ticket.description.trim()) lines.push('', safeBlock(ticket.description.trim()));
    if (ticket.acceptanceCriteria.length > 0) lines.push('', 'Acceptance criteria:', ...ticket.acceptanceCriteria.map((c) => `  - ${safeLine(c)}`));
    if (bugs.length > 0) {
      lines.push('', 'Bugs:', ...bugs.map((b) => `  ${b.fixed ? '[fixed]' : '[open] '} ${b.severity.padEnd(8)} ${safeLine(b.title)}${b.file ? ` (${safeLine(b.file)}${b.line !== undefined ? `:${b.line}` : ''})` : ''}`));
    }
    if (securityScan) {
      const state = `${securityScan.files} changed files at ${shortCommit(securityScan)}${securityScan.dirty ? ' with uncommitted changes' : ''}, ${securityScan.blockers} open critical/high`;
      lines.push('', `Security scan (${isoTime(securityScan.scannedAt)}): ${state}${securityScan.complete ? '' : ', not finished'}`);
      for (const n of securityScan.notScanned) lines.push(`  not scanned: ${safeLine(n.path)} (${notScannedWhy(n.reason)})`);
    }
    if (checkIn) lines.push('', `Latest check-in (${checkIn.type}, ${isoTime(checkIn.createdAt)}): ${safeLine(checkIn.summary)}`);
    lines.push('', 'History:', ...history.map((h) => `  ${isoTime(h.at)}  ${safeLine(describeHistory(h), 300)}`));
    if (runs.length > 0) lines.push('', 'Runs:', ...table(runs.map(runRow)).split('\n').map((l) => `  ${l}`));
    const used = ticketUsage(runs.map((r) => r.usage));
    if (used) lines.push('', `Tokens (all runs): ${formatUsage(used)}`);
    for (const r of runs.filter((run) => isLive(run) && run.attention)) {
      if (r.attention?.needsInput) lines.push(`Run ${r.id} needs input: ${safeLine(r.attention.needsInput.reason)}`);
      if (r.attention?.loop) lines.push(`Run ${r.id} repeats itself (${r.attention.loop.repeats} times): ${safeLine(r.attention.loop.evidence)}`);
    }
    if (salvages.length > 0) lines.push('', 'Salvages (agent-factory restore <id>):', ...table(salvages.map(salvageRow)).split('\n').map((l) => `  ${l}`));
    ctx.print(lines.join('\n'));
  },
};

export const createCommand: Command = {
  name: 'create',
  synopsis: 'create <title> [--priority P] [--status READY] [--depends-on T-n] [--json]',
  summary: 'Create a ticket (in BACKLOG unless --status READY); prints its id.',
  details: [
    '--priority P        critical, high, medium (default) or low (or 1 to 4)',
    '--status S          BACKLOG (default) or READY',
    '--description TEXT  markdown description',
    '--type T            feature, bug, chore, security or idea',
    '--criterion TEXT    an acceptance criterion (repeatable)',
    '--label L           a label (repeatable)',
    '--depends-on T-n    a ticket that must be DONE before this one starts (repeatable)',
    '--json              print the created ticket as JSON',
  ],
  options: {
    priority: { type: 'string', short: 'p' },
    status: { type: 'string', short: 's' },
    description: { type: 'string', short: 'd' },
    type: { type: 'string', short: 't' },
    criterion: { type: 'string', multiple: true },
    label: { type: 'string', multiple: true },
    'depends-on': { type: 'string', multiple: true },
    ...jsonOption,
  },
  async run(ctx) {
    const [title] = positionals(ctx, ['title'], { rest: true });
    const dependsOn = listOption(ctx.values, 'depends-on').map(ticketIdArg);
    const rawPriority = stringOption(ctx.values, 'priority');
    const priority = rawPriority === undefined ? undefined : priorityArg(rawPriority);
    const rawStatus = stringOption(ctx.values, 'status');
    const status = rawStatus === undefined ? 'BACKLOG' : statusArg(rawStatus);
    if (status !== 'BACKLOG' && status !== 'READY') throw usage(`a new ticket starts in BACKLOG or READY, not ${status}`);
    const rawType = stringOption(ctx.values, 'type');
    const type = rawType === undefined ? undefined : typeArg(rawType);
    const board = await ctx.board();
    const ticket = await board.write((tx) =>
      tx.createTicket(
        {
          title: title ?? '',
          status,
          priority,
          description: stringOption(ctx.values, 'description'),
          type,
          acceptanceCriteria: listOption(ctx.values, 'criterion'),
          labels: listOption(ctx.values, 'label'),
          dependsOn,
        },
        'user',
      ),
    );
    ctx.print(flag(ctx.values, 'json') ? json(ticket) : ticket.id);
  },
};

export const moveCommand: Command = {
  name: 'move',
  synopsis: 'move <id> <status> [--note text]',
  summary: 'Move a ticket along the pipeline (a move to BLOCKED needs --note with the reason).',
  details: [
    '--note TEXT   why (stored in the history; the reason when blocking). A move to IN_DEV with a note',
    '              says you work on it yourself: the PM does not heal it back to READY.',
    '--from S      only move if the ticket is still in S (compare-and-set for scripts)',
  ],
  options: { note: { type: 'string', short: 'n' }, from: { type: 'string' } },
  async run(ctx) {
    const [rawId, rawStatus] = positionals(ctx, ['id', 'status']);
    const id = ticketIdArg(rawId);
    const to = statusArg(rawStatus ?? '', 'target status');
    const rawFrom = stringOption(ctx.values, 'from');
    const from = rawFrom === undefined ? undefined : statusArg(rawFrom);
    const note = stringOption(ctx.values, 'note');
    if (to === 'BLOCKED' && !note?.trim()) throw usage('moving to BLOCKED needs the reason: --note "<reason>"');
    const board = await ctx.board();
    const { before, after } = await board.write((tx) => {
      const t = tx.getTicket(id);
      if (!t) throw notFound(`there is no ticket ${id}`);
      return { before: t.status, after: tx.transition(id, from ?? t.status, to, 'user', note) };
    });
    ctx.print(`${after.id}: ${describeMove(before, after.status)}`);
  },
};

export const healCommand: Command = {
  name: 'heal',
  synopsis: 'heal [--json]',
  summary: "Run the PM's self-heal now: mark dead runs lost, move stuck IN_DEV tickets back to READY.",
  details: ['Uses the default thresholds (2 min grace, 3 heals before BLOCKED).'],
  options: { ...jsonOption },
  async run(ctx) {
    positionals(ctx, []);
    const board = await ctx.board();
    const outcome = await healStuckTickets(board, { clock: ctx.clock, settings: DEFAULT_PM_SETTINGS, probe: localProcessProbe });
    if (flag(ctx.values, 'json')) {
      ctx.print(json(outcome));
      return;
    }
    const lines: string[] = [];
    for (const r of outcome.lost) lines.push(`run ${r.id} of ${r.ticketId} marked lost: ${safeLine(r.note ?? '')}`);
    for (const h of outcome.healed) lines.push(`${h.ticketId} → ${statusLabel(h.to)}: ${safeLine(h.reason, 300)}`);
    for (const w of outcome.waiting) lines.push(`${w.ticketId} is stuck in In Development; it becomes healable at ${isoTime(w.healableAt)} (the grace period protects a ticket that is just starting)`);
    ctx.print(lines.length === 0 ? 'Nothing to heal.' : lines.join('\n'));
  },
};

export const agentsCommand: Command = {
  name: 'agents',
  synopsis: 'agents [--json]',
  summary: "The background agents' last known statuses, as the window running them wrote them.",
  options: { ...jsonOption },
  async run(ctx) {
    positionals(ctx, []);
    const board = await ctx.board();
    const lease = board.getLease(AGENTS_LEASE);
    const leaseLive = board.isLeaseLive(lease, LEASE_TIMEOUT_MS);
    const agents = AGENT_NAMES.map((name) => {
      const state = board.getAgentState(name);
      const status = state?.status ?? {};
      return {
        name,
        paused: state?.paused ?? false,
        state: typeof status.state === 'string' ? status.state : state ? 'Unknown' : 'Never ran',
        activity: typeof status.activity === 'string' ? status.activity : '',
        lastError: typeof status.lastError === 'string' ? status.lastError : undefined,
        cycleCount: typeof status.cycleCount === 'number' ? status.cycleCount : 0,
        lastCycleAt: state?.lastCycleAt,
      };
    });
    if (flag(ctx.values, 'json')) {
      ctx.print(json({ runningIn: leaseLive ? lease?.owner : null, agents }));
      return;
    }
    const rows = agents.map((a) => [a.name, a.paused ? 'Paused' : a.state, `${a.cycleCount} cycles`, `last ${isoTime(a.lastCycleAt)}`, safeLine(a.lastError ? `error: ${a.lastError}` : a.activity, 120)]);
    const where = leaseLive ? `Running in ${lease?.owner ?? '?'}.` : 'No window is running the background agents right now; these are their last known statuses.';
    ctx.print(`${table(rows)}\n${where}`);
  },
};

export const runsCommand: Command = {
  name: 'runs',
  synopsis: 'runs [--ticket T] [--status S] [--json]',
  summary: 'List coding-agent runs (default: queued and running).',
  details: ['--ticket T   only runs of ticket T (all statuses)', '--status S   only runs in status S (repeatable)', '--json       machine-readable output'],
  options: { ticket: { type: 'string' }, status: { type: 'string', multiple: true }, ...jsonOption },
  async run(ctx) {
    positionals(ctx, []);
    const rawTicket = stringOption(ctx.values, 'ticket');
    const ticketId = rawTicket === undefined ? undefined : ticketIdArg(rawTicket);
    const statuses = listOption(ctx.values, 'status').map((s) => {
      if (!(RUN_STATUSES as readonly string[]).includes(s)) throw usage(`${JSON.stringify(s)} is not a run status; use one of ${RUN_STATUSES.join(', ')}`);
      return s as RunStatus;
    });
    const board = await ctx.board();
    const status = statuses.length > 0 ? statuses : ticketId ? undefined : (['queued', 'running'] as RunStatus[]);
    const runs = board.listRuns({ ...(status ? { status } : {}), ...(ticketId ? { ticketId } : {}) }).sort((a, b) => a.startedAt - b.startedAt);
    if (flag(ctx.values, 'json')) {
      ctx.print(json(runs));
      return;
    }
    ctx.print(runs.length === 0 ? 'No runs.' : table(runs.map(runRow)));
  },
};

export const BOARD_COMMANDS: Command[] = [initCommand, listCommand, showCommand, createCommand, moveCommand, healCommand, agentsCommand, runsCommand];

function num(id: string): number {
  return Number(id.slice(2));
}
