/**
 * `review`, `land` and `push`: a ticket's change, landing it on its base, and its branch to the
 * remote, from a terminal, through the same modules as the editor. `land` waits its turn in the
 * board's land queue; Ctrl-C while it waits or works undoes what it started and leaves the queue.
 */
import { describeCounts, describeTotals, changeTotals } from '../git/changeSummary';
import { landTicket, type LandOutcome } from '../land/landTicket';
import { pushBranch } from '../land/publish';
import { readTicketChanges } from '../review/ticketChanges';
import { ticketIdArg } from './boardCommands';
import { cliSettings } from './cliSettings';
import { conflict } from './cliError';
import { flag, positionals, type Command } from './command';
import { json, safeLine, table } from './format';

const KIND_LETTER: Record<string, string> = { added: 'A', modified: 'M', deleted: 'D', renamed: 'R', copied: 'C', typechange: 'T', untracked: '?' };

export const reviewCommand: Command = {
  name: 'review',
  synopsis: 'review <id> [--json]',
  summary: "The files a ticket changes (its branch and its worktree's uncommitted work) against the merge-base with its base, with +/- lines.",
  details: ['--json   machine-readable output'],
  options: { json: { type: 'boolean' } },
  async run(ctx) {
    const [raw] = positionals(ctx, ['id']);
    const id = ticketIdArg(raw);
    const board = await ctx.board();
    const changes = await readTicketChanges(board, id);
    const totals = changeTotals(changes.files);
    if (flag(ctx.values, 'json')) {
      ctx.print(json({ ticketId: id, branch: changes.branch, base: changes.base, mergeBase: changes.mergeBase, worktree: changes.worktree, files: changes.files, totals }));
      return;
    }
    const head = `${id} ${safeLine(changes.branch, 100)} against ${safeLine(changes.base, 100)} (merge-base ${changes.mergeBase.slice(0, 12)})`;
    if (changes.files.length === 0) {
      ctx.print(`${head}: no changes.`);
      return;
    }
    const rows = changes.files.map((f) => [
      KIND_LETTER[f.kind] ?? '?',
      safeLine(f.oldPath !== undefined ? `${f.oldPath} -> ${f.path}` : f.path, 160),
      describeCounts(f),
    ]);
    ctx.print(`${head}: ${describeTotals(totals)}\n${table(rows)}`);
  },
};

export const landCommand: Command = {
  name: 'land',
  synopsis: 'land <id> [--json]',
  summary: 'Land a PM_REVIEW ticket: bring its branch up to date with its base, run the check, advance the base; then it is DONE.',
  details: [
    'Waits its turn when another land is in progress on this board. Settings: agentFactory.land.strategy',
    '(rebase, merge or squash) and agentFactory.land.checkCommand from .vscode/settings.json.',
    'Exit code 4 with the reason when it conflicts, the check fails (the ticket goes back to IN_DEV',
    'with a bug) or it is refused (nothing moved).',
    '--json   the outcome as JSON on stdout',
  ],
  options: { json: { type: 'boolean' } },
  async run(ctx) {
    const [raw] = positionals(ctx, ['id']);
    const id = ticketIdArg(raw);
    const board = await ctx.board();
    const settings = cliSettings(ctx, board.repoRoot).landSettings();
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    let outcome: LandOutcome;
    try {
      outcome = await landTicket({ board, clock: ctx.clock, settings, signal: abort.signal, onProgress: (text) => ctx.warn(`${id}: ${text}`) }, id);
    } finally {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
    }
    if (flag(ctx.values, 'json')) ctx.print(json(outcome));
    if (outcome.kind !== 'landed') throw conflict(outcome.reason);
    if (!flag(ctx.values, 'json')) {
      const how = outcome.check ? `check passed: ${outcome.check}` : 'no check configured';
      ctx.print(`${id} landed on ${outcome.base} as ${outcome.commit} (${outcome.strategy}, ${how}); it is DONE.`);
    }
  },
};

export const pushCommand: Command = {
  name: 'push',
  synopsis: 'push <id>',
  summary: "Push a ticket's branch to the repository's remote (never forced) and make it the branch's upstream.",
  async run(ctx) {
    const [raw] = positionals(ctx, ['id']);
    const id = ticketIdArg(raw);
    const board = await ctx.board();
    const pushed = await pushBranch(board, board.repoRoot, id);
    ctx.print(`Pushed ${pushed.branch} to ${pushed.remote}.`);
  },
};

export const LAND_COMMANDS: Command[] = [reviewCommand, landCommand, pushCommand];
