/** The title and plain-text description a gathered item's ticket carries. */
import { TITLE_MAX } from '../../domain/ticket';
import { DIAGNOSTICS_KIND, type GatheredItem } from './item';

/** How many diagnostics a description lists before "and N more". */
const LISTED_DIAGNOSTICS = 20;
const MESSAGE_MAX = 300;
/** A comment's title: what fits a line of the Tickets view; the description holds the whole text. */
const COMMENT_TITLE_MAX = 100;

export function titleOf(item: GatheredItem): string {
  if (item.kind === DIAGNOSTICS_KIND) return truncate(diagnosticsSummary(item), TITLE_MAX);
  const tag = item.note !== undefined ? `${item.tag}(${item.note})` : item.tag;
  return truncateAtWord(`${tag}: ${item.text}`.replace(/\s+/g, ' '), COMMENT_TITLE_MAX);
}

export function descriptionOf(item: GatheredItem): string {
  if (item.kind === DIAGNOSTICS_KIND) {
    const lines = item.diagnostics ?? [];
    const listed = lines.slice(0, LISTED_DIAGNOSTICS).map((d) => `${item.file}:${d.line} ${d.severity}: ${truncate(d.message.replace(/\s+/g, ' '), MESSAGE_MAX)}`);
    if (lines.length > LISTED_DIAGNOSTICS) listed.push(`and ${lines.length - LISTED_DIAGNOSTICS} more`);
    return [`${diagnosticsSummary(item)}, as reported by the editor.`, '', ...listed].join('\n');
  }
  // Where the comment is stays out of the description: it moves with the code, and the ticket shows it from the Gatherer's record.
  const out = [`A ${item.tag} comment in the code, gathered by the Gatherer.`];
  if (item.owner !== undefined || item.note !== undefined) out.push('');
  if (item.owner !== undefined) out.push(`Owner: ${item.owner}`);
  if (item.note !== undefined) out.push(`Note: ${item.note}`);
  out.push('', item.text);
  return out.join('\n');
}

/** "3 TypeScript errors in src/x.ts", "1 ESLint error and 2 warnings in src/y.ts". */
export function diagnosticsSummary(item: GatheredItem): string {
  const lines = item.diagnostics ?? [];
  const errors = lines.filter((d) => d.severity === 'error').length;
  const warnings = lines.length - errors;
  const who = item.text === '' ? '' : `${item.text} `;
  const counted =
    errors > 0 && warnings > 0
      ? `${errors} ${who}${plural(errors, 'error')} and ${warnings} ${plural(warnings, 'warning')}`
      : errors > 0
        ? `${errors} ${who}${plural(errors, 'error')}`
        : `${warnings} ${who}${plural(warnings, 'warning')}`;
  return `${counted} in ${item.file}`;
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

/** Cuts at the last word boundary that fits, so a title ends in a whole word and an ellipsis. */
export function truncateAtWord(text: string, max: number): string {
  const points = [...text];
  if (points.length <= max) return text;
  const cut = points.slice(0, max - 1).join('');
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.-]+$/, '')}\u2026`;
}

/** Cuts on code points, so a title never ends in half a surrogate pair. */
export function truncate(text: string, max: number): string {
  const points = [...text];
  return points.length <= max ? text : points.slice(0, max - 1).join('') + '\u2026';
}
