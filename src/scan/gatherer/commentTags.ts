/**
 * Comment tags (TODO, FIXME, ...): which tags are valid, the pattern `git grep` searches for, and
 * the parser that turns one matched line into a tag, its text and an optional owner.
 */

export const DEFAULT_TAGS: readonly string[] = ['TODO', 'FIXME', 'HACK', 'XXX'];

/** The shape the `agentFactory.gatherer.tags` setting allows; it also keeps tags regex-safe. */
const TAG_SHAPE = /^[A-Z][A-Z0-9_]{1,15}$/;

/** The longest text kept from one comment; the rest of a minified line is noise. */
export const TEXT_MAX = 300;

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
  /** The text after the tag and its owner, without comment closers; may be empty. */
  text: string;
  owner?: string | undefined;
}

/**
 * Comment openers a tag may follow: C-like (`//`, `/*`, ` *`), shell and Python (`#`), markup
 * (`<!--`), SQL, Lua and Haskell (`--`, `{-`), Lisp, assembly and ini (`;`), TeX and Erlang (`%`),
 * ML (`(*`).
 */
const MARKER = String.raw`(?:\/\/+|\/\*+|\(\*|\{-|<!--|--+|#+|\*+|;+|%+)`;
const TRAILING_CLOSER = /\s*(?:\*+\/|-->|-\}|\*\)|#\})\s*$/;
/** `(alice)`, `(@alice)`, `(Alice Smith)`; not `(#123)`, which stays in the text as a reference. */
const OWNER_IN_PARENS = /^\(\s*@?([A-Za-z][A-Za-z0-9_.-]*(?: [A-Za-z0-9_.-]+){0,3})\s*\)/;
const OWNER_AT = /^@([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})\s*[:,-]?\s*/;
const SEPARATOR = /^\s*[:\-\u2013\u2014]?\s*/;

export interface TagParser {
  /** The first tag on the line that sits in a comment, or undefined. */
  parse(line: string): TagHit | undefined;
}

/**
 * A tag counts when it is written in upper case as a whole word and sits in a comment: right
 * after a comment opener (`// TODO fix`, `# FIXME`, `<!-- HACK -->`, `// @TODO`), or later in a
 * comment when followed by `:` or `(` (`// parse it; TODO: streaming`). So `todoList`, `TODO_MAX`
 * and a bare `TODO` in prose are never items.
 */
export function createTagParser(tags: readonly string[]): TagParser {
  if (tags.length === 0) return { parse: () => undefined };
  const alternatives = tags.join('|');
  const direct = new RegExp(String.raw`${MARKER}[ \t]*@?(${alternatives})(?![A-Za-z0-9_])`);
  const marker = new RegExp(MARKER);
  const inline = new RegExp(String.raw`(?<![A-Za-z0-9_@])@?(${alternatives})(?=\(|:)`);
  return {
    parse(line) {
      const d = direct.exec(line);
      const m = marker.exec(line);
      let tag: string | undefined;
      let end = 0;
      if (d && m && d.index === m.index) {
        tag = d[1];
        end = d.index + d[0].length;
      } else if (m) {
        // The first opener is not directly followed by a tag: look for `TAG:` / `TAG(` after it.
        const from = m.index + m[0].length;
        const i = inline.exec(line.slice(from));
        const dd = d && d.index >= from ? d : undefined;
        if (i && (!dd || from + i.index <= dd.index)) {
          tag = i[1];
          end = from + i.index + i[0].length;
        } else if (dd) {
          tag = dd[1];
          end = dd.index + dd[0].length;
        }
      }
      if (tag === undefined) return undefined;
      return { tag, ...parseRest(line.slice(end, end + TEXT_MAX * 2)) };
    },
  };
}

function parseRest(rest: string): { text: string; owner?: string | undefined } {
  let owner: string | undefined;
  const paren = OWNER_IN_PARENS.exec(rest);
  if (paren) {
    owner = paren[1];
    rest = rest.slice(paren[0].length);
  }
  rest = rest.replace(SEPARATOR, '');
  const at = OWNER_AT.exec(rest);
  if (at) {
    owner ??= at[1];
    rest = rest.slice(at[0].length);
  }
  let text = rest.replace(TRAILING_CLOSER, '').trim();
  if ([...text].length > TEXT_MAX) text = [...text].slice(0, TEXT_MAX - 1).join('') + '\u2026';
  return { text, owner };
}
