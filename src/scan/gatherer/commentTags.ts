/**
 * Comment tags (TODO, FIXME, ...): which tags are valid, the pattern `git grep` searches for, and
 * the reading of the tags inside one comment: where each starts, its owner or note, and the whole
 * sentence it begins, across the comment's lines.
 */
import type { Comment } from './comments';

export const DEFAULT_TAGS: readonly string[] = ['TODO', 'FIXME', 'HACK', 'XXX'];

/** The shape the `agentFactory.gatherer.tags` setting allows; it also keeps tags regex-safe. */
const TAG_SHAPE = /^[A-Z][A-Z0-9_]{1,15}$/;

/** The longest text kept from one comment (the description holds it; titles are shorter). */
export const TEXT_MAX = 300;
/** How many comment lines one tag's sentence may run over. */
const SENTENCE_LINES = 6;

/** Valid tags from a setting, deduplicated, in their given order. */
export function normalizeTags(tags: readonly unknown[] | undefined): string[] {
  const out: string[] = [];
  for (const tag of tags ?? DEFAULT_TAGS) {
    if (typeof tag === 'string' && TAG_SHAPE.test(tag) && !out.includes(tag)) out.push(tag);
  }
  return out;
}

/**
 * The extended regular expression given to `git grep -w -E`. `-w` rather than `\b`, because `\b`
 * is a GNU extension some platforms' regex engines lack. Tags are already regex-safe.
 */
export function grepPattern(tags: readonly string[]): string {
  return `(${tags.join('|')})`;
}

export interface TagHit {
  /** The tag exactly as written, e.g. "FIXME". */
  tag: string;
  /** 1-based line of the tag. */
  line: number;
  /** The sentence the tag begins, without owner, note or markup; may be empty. */
  text: string;
  /** `TODO(alice)`, `TODO @alice`. */
  owner?: string | undefined;
  /** `TODO(v3)`, `TODO(#123)`: a note in parentheses that names no person. */
  note?: string | undefined;
}

/** Words before a tag that make it a noun in a sentence ("see the TODO list"), not a tag. */
const NOUN_BEFORE = new Set(['the', 'a', 'an', 'this', 'that', 'these', 'those', 'our', 'your', 'my', 'any', 'some', 'no', 'each', 'every', 'see', 'in', 'of', 'with', 'per', 'as']);
/** Words after a tag that make it a noun ("TODO list", "FIXME comments"). */
const NOUN_AFTER = new Set(['list', 'lists', 'item', 'items', 'comment', 'comments', 'tag', 'tags', 'marker', 'markers', 'file', 'files', 'entry', 'entries', 'section', 'note', 'notes']);
const PARENS = /^\(\s*([^()]{1,60})\s*\)/;
const PERSON = /^@?([A-Za-z][A-Za-z0-9_.-]*(?: [A-Za-z][A-Za-z0-9_.-]*){0,3})$/;
const VERSION_OR_REFERENCE = /^(?:v\d|\d)|^[A-Z][A-Z0-9]+-\d+$|[#/:]/i;
const OWNER_AT = /^@([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})\s*[:,-]?\s*/;
const SEPARATOR = /^\s*[:\-\u2013\u2014]?\s*/;
/** A list bullet, checkbox, quote or heading mark before a tag in prose. */
const PROSE_LEAD = /^(?:(?:[-*+]|\d+[.)]|#{1,6}|>)\s+)*(?:\[[ xX]\]\s+)?/;

export interface TagFinder {
  find(comment: Comment): TagHit[];
}

/**
 * A tag counts when it is written in upper case as a whole word inside a comment: at the start of
 * the comment's text (`// TODO fix`, `# FIXME`, `<!-- HACK -->`, `// @TODO`, ` * XXX:`), or later
 * when it is followed by `:` or `(`, or when it starts a clause (`// [Go] TODO Make this work`,
 * `@deprecated use y. TODO remove`) and is not a noun in a sentence ("see the TODO list"). Never
 * part of a longer token: `todoList`, `TODO_MAX`, `XXX-XXX-XXXX`, `#TODO-list`. In prose (Markdown)
 * a tag counts at the start of a line or list item, or followed by `:`.
 */
export function createTagFinder(tags: readonly string[]): TagFinder {
  if (tags.length === 0) return { find: () => [] };
  const word = new RegExp(String.raw`(?<![A-Za-z0-9_#/.\-])@?(${tags.join('|')})(?![A-Za-z0-9_]|-[A-Za-z0-9])`, 'g');
  return {
    find(comment) {
      const starts: Array<{ lineIndex: number; at: number; end: number; tag: string }> = [];
      comment.lines.forEach((l, lineIndex) => {
        const lead = comment.kind === 'prose' ? (PROSE_LEAD.exec(l.text)?.[0].length ?? 0) : (/^\s*/.exec(l.text)?.[0].length ?? 0);
        for (const m of l.text.matchAll(word)) {
          const at = m.index;
          const end = at + m[0].length;
          const after = l.text.slice(end);
          const atStart = at === lead;
          const marked = /^\s*[:(]/.test(after);
          if (atStart || marked || (comment.kind !== 'prose' && startsClause(l.text.slice(0, at), after))) starts.push({ lineIndex, at, end, tag: m[1] });
        }
      });
      return starts.map((s, k) => {
        const next = starts[k + 1];
        return { tag: s.tag, line: comment.lines[s.lineIndex].line, ...readText(comment, s, next) };
      });
    },
  };
}

function startsClause(before: string, after: string): boolean {
  const previous = /([A-Za-z]+)\W*$/.exec(before)?.[1]?.toLowerCase();
  const following = /^\s+([A-Za-z]+)/.exec(after)?.[1]?.toLowerCase();
  if (following === undefined) return false;
  return !(previous !== undefined && NOUN_BEFORE.has(previous)) && !NOUN_AFTER.has(following);
}

/** The owner or note, then the sentence: up to the next tag, the end of the sentence, or the comment's end. */
function readText(comment: Comment, start: { lineIndex: number; end: number }, next: { lineIndex: number; at: number } | undefined): Omit<TagHit, 'tag' | 'line'> {
  const first = comment.lines[start.lineIndex].text;
  let rest = next && next.lineIndex === start.lineIndex ? first.slice(start.end, next.at) : first.slice(start.end);
  let owner: string | undefined;
  let note: string | undefined;
  const paren = PARENS.exec(rest);
  if (paren) {
    const inside = paren[1].trim();
    const person = PERSON.exec(inside);
    if (person && !VERSION_OR_REFERENCE.test(inside)) owner = person[1];
    else note = inside;
    rest = rest.slice(paren[0].length);
  }
  rest = rest.replace(SEPARATOR, '');
  const at = OWNER_AT.exec(rest);
  if (at) {
    owner ??= at[1];
    rest = rest.slice(at[0].length);
  }
  const parts = [rest.trim()];
  // A sentence that wraps goes on over the following lines of the same comment.
  for (let i = start.lineIndex + 1; i < comment.lines.length && i <= start.lineIndex + SENTENCE_LINES; i++) {
    if (/[.!?]$/.test(parts.join(' ').trim()) || parts.join(' ').length >= TEXT_MAX) break;
    if (next && next.lineIndex === i) {
      const before = comment.lines[i].text.slice(0, next.at);
      // Words before the next tag on its line finish this sentence; a bullet or a quote mark does not.
      if (/\w/.test(before)) parts.push(before.trim());
      break;
    }
    const text = comment.lines[i].text.trim();
    // A blank line, a new list item, a doc tag (@param) or another label (NOTE:) ends the sentence.
    if (text === '' || /^(?:[-*+]\s|\d+[.)]\s|@\w|@?[A-Z][A-Z0-9_]{1,15}\s*[:(])/.test(text)) break;
    parts.push(text);
  }
  return { text: clean(parts.filter((p) => p !== '').join(' ')), owner, note };
}

/** Markdown emphasis and leftover comment closers out, whitespace collapsed, capped. */
function clean(text: string): string {
  let out = text
    .replace(/(\*\*|__|~~)(?=\S)(.+?)(?<=\S)\1/g, '$2')
    .replace(/(?<![\w*])([*_])(?=\S)([^*_]+?)(?<=\S)\1(?![\w*])/g, '$2')
    .replace(/\s*(?:\*\/|-->|-\}|\*\))\s*\}?\s*$/, '')
    .replace(/\s+/g, ' ')
    .trim();
  if ([...out].length > TEXT_MAX) out = [...out].slice(0, TEXT_MAX - 1).join('') + '\u2026';
  return out;
}
