/**
 * Untrusted text (ticket fields, agent messages) made safe to show as plain text: on the ticket
 * page, in quick picks, in tree items. Pure, so it is tested in plain node.
 *
 * - Control and bidirectional-override characters are replaced, so nothing hides or reorders text.
 * - Where a label renders `$(name)` as an icon, `$(` is escaped so the text shows as written.
 */

// eslint-disable-next-line no-control-regex -- replacing control characters is the point
const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/** Replaces hidden and reordering characters with U+FFFD and normalises line ends. */
export function sanitizeText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/\t/g, '    ').replace(HIDDEN, '\uFFFD');
}

/** One line of plain text: line breaks become spaces. */
export function oneLine(text: string): string {
  return sanitizeText(text).replace(/\s+/g, ' ').trim();
}

/**
 * One line for a quick pick, a tree item or the status bar, where `$(name)` would render an icon:
 * the escaped form shows the text as written.
 */
export function plainLabel(text: string): string {
  return oneLine(text).replace(/\$\(/g, '\\$(');
}

/** A message that starts with a capital letter, as notifications do ("the board ..." -> "The board ..."). */
export function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
