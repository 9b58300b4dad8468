/**
 * `agent-factory edit`: changes a ticket's fields. A repeatable option replaces its whole list
 * (`--label a --label b` leaves exactly those two labels); `--clear-...` empties one. The store
 * checks everything again: a dependency must exist and may not close a cycle.
 */
import { editTicket, type TicketEditPatch } from '../loop/ticketEdits';
import { priorityArg, ticketIdArg, typeArg } from './boardCommands';
import { usage } from './cliError';
import { flag, listOption, positionals, stringOption, type Command, type CommandContext } from './command';
import { json } from './format';

/** A list option and the flag that empties the list, for one field of the patch. */
const LISTS = [
  { option: 'depends-on', clear: 'clear-depends-on', field: 'dependsOn', what: 'dependencies' },
  { option: 'criteria', clear: 'clear-criteria', field: 'acceptanceCriteria', what: 'acceptance criteria' },
  { option: 'label', clear: 'clear-labels', field: 'labels', what: 'labels' },
] as const;

function patchFrom(ctx: CommandContext): { patch: TicketEditPatch; changed: string[] } {
  const patch: TicketEditPatch = {};
  const changed: string[] = [];
  const title = stringOption(ctx.values, 'title');
  if (title !== undefined) {
    patch.title = title;
    changed.push('title');
  }
  const description = stringOption(ctx.values, 'description');
  if (description !== undefined) {
    patch.description = description;
    changed.push('description');
  }
  const priority = stringOption(ctx.values, 'priority');
  if (priority !== undefined) {
    patch.priority = priorityArg(priority);
    changed.push('priority');
  }
  const type = stringOption(ctx.values, 'type');
  if (type !== undefined) {
    patch.type = typeArg(type);
    changed.push('type');
  }
  for (const list of LISTS) {
    const given = listOption(ctx.values, list.option);
    const clear = flag(ctx.values, list.clear);
    if (clear && given.length > 0) throw usage(`--${list.clear} and --${list.option} contradict each other; give one of them`);
    if (!clear && given.length === 0) continue;
    patch[list.field] = list.field === 'dependsOn' ? given.map(ticketIdArg) : given;
    changed.push(list.what);
  }
  return { patch, changed };
}

export const editCommand: Command = {
  name: 'edit',
  synopsis: 'edit <id> [--depends-on T-n] [--priority N] [--criteria text]...',
  summary: "Change a ticket's title, description, priority, type, labels, acceptance criteria or dependencies (recorded in its history; a running agent finds the change in its inbox).",
  details: [
    '--title TEXT         new title',
    '--description TEXT   new description (markdown)',
    '--priority P         critical, high, medium or low (or 1 to 4)',
    '--type T             feature, bug, chore, security or idea',
    '--criteria TEXT      an acceptance criterion (repeatable; replaces the list)',
    '--label L            a label (repeatable; replaces the list)',
    '--depends-on T-n     a ticket that must be DONE first (repeatable; replaces the list)',
    '--clear-criteria, --clear-labels, --clear-depends-on   empty that list',
    '--json               print the updated ticket as JSON',
  ],
  options: {
    title: { type: 'string' },
    description: { type: 'string', short: 'd' },
    priority: { type: 'string', short: 'p' },
    type: { type: 'string', short: 't' },
    criteria: { type: 'string', multiple: true },
    label: { type: 'string', multiple: true },
    'depends-on': { type: 'string', multiple: true },
    'clear-criteria': { type: 'boolean' },
    'clear-labels': { type: 'boolean' },
    'clear-depends-on': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    const [raw] = positionals(ctx, ['id']);
    const id = ticketIdArg(raw);
    const { patch, changed } = patchFrom(ctx);
    if (changed.length === 0) throw usage('nothing to change; see "agent-factory edit --help" for the fields');
    const board = await ctx.board();
    const edited = await board.write((tx) => editTicket(tx, id, patch, 'user'));
    if (flag(ctx.values, 'json')) {
      ctx.print(json(edited.ticket));
      return;
    }
    const what = edited.changes.length > 0 ? `${edited.ticket.id} updated: ${edited.changes.join('; ')}.` : `${edited.ticket.id} unchanged: it already had these values.`;
    ctx.print(edited.toAgent ? `${what} Its agent finds the change in its inbox.` : what);
  },
};
