/**
 * Untrusted text (ticket fields, agent messages) made safe for the ticket document, which is shown
 * both as source in a plain editor and in the markdown preview. Pure, so it is tested in plain
 * node against a real markdown renderer.
 *
 * - Control and bidirectional-override characters are replaced, so nothing hides or reorders text.
 * - Every character that starts markdown structure inline (links, images, HTML, entities, code,
 *   emphasis, tables, math) is backslash-escaped; so are `@`, a `:` that text follows directly and
 *   the dots of domain names, so no `https://`, `command:`, `evil.com` or e-mail address reaches
 *   the editor's link detection or the preview's linkifier.
 * - Line starts that would open a block (lists, headings, quotes, code by indentation) are
 *   neutralised, so a description cannot forge the document's own sections.
 */

// eslint-disable-next-line no-control-regex -- replacing control characters is the point
const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
const INLINE = /[\\`*_{}[\]()<>#!|~&$@]/g;
// A colon directly followed by more text is how a link starts (https://, command:, mailto:); the
// colon of prose ("Concern: none") is followed by a space and stays readable.
const SCHEME_COLON = /:(?=\S)/g;
// A dot between a word and a letter is what a bare domain looks like to a linkifier (evil.com).
const DOMAIN_DOT = /(?<=[A-Za-z0-9])\.(?=[A-Za-z])/g;

function escapeChars(text: string): string {
  return text.replace(INLINE, (c) => `\\${c}`).replace(SCHEME_COLON, '\\:').replace(DOMAIN_DOT, '\\.');
}

/** Replaces hidden and reordering characters with U+FFFD and normalises line ends. */
export function sanitizeText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/\t/g, '    ').replace(HIDDEN, '\uFFFD');
}

/** One line of plain text: line breaks become spaces. */
export function oneLine(text: string): string {
  return sanitizeText(text).replace(/\s+/g, ' ').trim();
}

/**
 * One line for a quick pick or the status bar, where `$(name)` would render an icon: the escaped
 * form shows the text as written.
 */
export function plainLabel(text: string): string {
  return oneLine(text).replace(/\$\(/g, '\\$(');
}

/** Escapes text that sits inside a line the document wrote (a heading, a list item). */
export function escapeInline(text: string): string {
  return escapeChars(oneLine(text));
}

/**
 * Escapes multi-line text as paragraphs: each line keeps its words, blank lines separate
 * paragraphs, and a line break inside a paragraph stays a line break.
 */
export function escapeBlock(text: string): string {
  const lines = sanitizeText(text).split('\n').map((line) => line.trim());
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.length === 0) {
      if (out.length > 0 && out[out.length - 1] !== '') out.push('');
      continue;
    }
    const next = lines[i + 1];
    const hardBreak = next !== undefined && next.length > 0 ? '\\' : '';
    out.push(escapeLineStart(escapeChars(line)) + hardBreak);
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.join('\n');
}

/** List markers, ordered-list numbers and setext underlines mean something only at a line start. */
function escapeLineStart(line: string): string {
  if (/^[-+=]/.test(line)) return `\\${line}`;
  return line.replace(/^(\d+)([.)])/, '$1\\$2');
}
