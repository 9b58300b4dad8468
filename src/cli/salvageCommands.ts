/** Salvages of removed worktrees: list them, restore one, delete one (only ever on request). */
import { resolve } from 'node:path';
import { deleteSalvage, restoreWorktree } from '../agents/worktreeSalvages';
import { assertEntityId, isTicketId } from '../domain/ids';
import { formatBytes, type Salvage } from '../domain/salvage';
import { usage } from './cliError';
import { flag, positionals, stringOption, type Command } from './command';
import { isoTime, json, safeLine, table } from './format';

const jsonOption = { json: { type: 'boolean' } } as const;

/** A ticket id (`T-3`, that ticket's newest salvage) or a salvage id (`sv-...`). */
function salvageOrTicketArg(raw: string | undefined): string {
  const value = (raw ?? '').trim();
  if (isTicketId(value.toUpperCase())) return value.toUpperCase();
  try {
    return assertEntityId(value, 'salvage id');
  } catch {
    throw usage(`${JSON.stringify(value)} is neither a ticket id (T-12) nor a salvage id (sv-...)`);
  }
}

export function salvageRow(s: Salvage): string[] {
  return [
    s.id,
    s.ticketId ?? '-',
    isoTime(s.createdAt),
    formatBytes(s.savedBytes),
    s.summary.folderGone ? 'git state only' : `${s.summary.files} files${s.summary.archivedCount ? ` + ${s.summary.archivedCount} archived` : ''}`,
    s.summary.leftOutCount ? `left out: ${safeLine(s.summary.leftOut.map((l) => `${l.path} (${l.why})`).join(', '), 80)}` : '',
    s.restoredAt ? `restored to ${safeLine(s.restoredTo ?? '?', 80)}` : safeLine(s.worktreePath, 80),
  ];
}

export const salvagesCommand: Command = {
  name: 'salvages',
  synopsis: 'salvages [<ticket id>] [--json]',
  summary: 'List the salvages of removed worktrees (all, or one ticket\'s), with their size and what was left out.',
  options: { ...jsonOption },
  async run(ctx) {
    const [raw] = positionals(ctx, ['ticket id'], { optional: 1 });
    const ticketId = raw === undefined ? undefined : salvageOrTicketArg(raw);
    if (ticketId !== undefined && !isTicketId(ticketId)) throw usage('salvages takes a ticket id (T-12), or nothing for all');
    const board = await ctx.board();
    const salvages = board.listSalvages(ticketId ? { ticketId } : {});
    if (flag(ctx.values, 'json')) {
      ctx.print(json(salvages));
      return;
    }
    ctx.print(salvages.length === 0 ? 'No salvages.' : table(salvages.map(salvageRow)));
  },
};

export const restoreCommand: Command = {
  name: 'restore',
  synopsis: 'restore <id> [--to <folder>] [--json]',
  summary: 'Restore a removed worktree from its salvage, byte for byte (<id>: a ticket id for its newest salvage, or a salvage id).',
  details: [
    '--to FOLDER  restore there instead of the original place (which is used when free)',
    '--json       machine-readable output',
    'A finished ticket\'s worktree comes back locked, so no cleanup removes it again unasked.',
  ],
  options: { to: { type: 'string' }, ...jsonOption },
  async run(ctx) {
    const [raw] = positionals(ctx, ['id']);
    const id = salvageOrTicketArg(raw);
    const to = stringOption(ctx.values, 'to');
    const board = await ctx.board();
    const outcome = await restoreWorktree(board, { id, to: to === undefined ? undefined : resolve(ctx.where.cwd, to) });
    if (flag(ctx.values, 'json')) {
      ctx.print(json({ salvage: outcome.salvage.id, path: outcome.path, branch: outcome.branch ?? null, notes: outcome.notes, differences: outcome.differences, ticketUpdated: outcome.ticketUpdated }));
    } else {
      const lines = [`Restored ${outcome.salvage.ticketId ?? 'the worktree'} from ${outcome.salvage.id} at ${outcome.path}${outcome.branch ? ` on ${outcome.branch}` : ' (detached)'}.`];
      for (const note of outcome.notes) lines.push(`  ${safeLine(note, 300)}`);
      lines.push(outcome.differences.length === 0 ? 'Every saved file is back byte for byte.' : `DIFFERENCES from the salvage (it is kept):\n${outcome.differences.map((d) => `  ${safeLine(d, 300)}`).join('\n')}`);
      ctx.print(lines.join('\n'));
    }
    if (outcome.differences.length > 0) throw new Error(`${outcome.differences.length} file(s) differ from the salvage`);
  },
};

export const deleteSalvageCommand: Command = {
  name: 'delete-salvage',
  synopsis: 'delete-salvage <salvage id>',
  summary: 'Delete a salvage: its refs and archive. What it holds can no longer be restored.',
  async run(ctx) {
    const [raw] = positionals(ctx, ['salvage id']);
    const id = salvageOrTicketArg(raw);
    if (isTicketId(id)) throw usage('delete-salvage takes one salvage id (sv-...), never a whole ticket; see "agent-factory salvages"');
    const board = await ctx.board();
    const salvage = await deleteSalvage(board, id);
    ctx.print(`Deleted salvage ${salvage.id} (${formatBytes(salvage.savedBytes)} from ${safeLine(salvage.worktreePath, 200)}).`);
  },
};

export const SALVAGE_COMMANDS: Command[] = [salvagesCommand, restoreCommand, deleteSalvageCommand];
