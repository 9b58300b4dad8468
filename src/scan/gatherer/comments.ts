/**
 * The comments of one file, found by a small lexer that knows each language's comment openers and
 * string delimiters (languages.ts): a tag only counts in a comment, never in a string or in code.
 * Consecutive whole-line comments form one comment, so a sentence that wraps onto the next line is
 * read whole. Alongside, each line's code with the comments blanked out: what a comment sits on,
 * which tells identical TODOs apart by the code around them.
 */
import type { CommentSyntax } from './languages';

export interface CommentLine {
  /** 1-based. */
  line: number;
  /** The comment's text on this line, without its opener, closer or `*` decoration. */
  text: string;
}

export interface Comment {
  kind: 'line' | 'block' | 'prose';
  lines: CommentLine[];
}

export interface FileComments {
  comments: Comment[];
  /** Per line (index 0 = line 1), the code on it with comments removed, trimmed. */
  code: string[];
}

export function scanComments(text: string, syntax: CommentSyntax): FileComments {
  return syntax.prose ? scanProse(text, syntax) : new Lexer(text, syntax).run();
}

class Lexer {
  private i = 0;
  private line = 1;
  private readonly comments: Comment[] = [];
  private readonly code: string[] = [''];
  /** The line comment group being extended, and the last line it covers. */
  private group: { comment: Comment; lastLine: number } | undefined;
  private readonly starts: Set<string>;

  constructor(
    private readonly text: string,
    private readonly syntax: CommentSyntax,
  ) {
    this.starts = new Set([...syntax.line, ...syntax.block.map(([open]) => open), ...syntax.strings.map((s) => s.open)].map((s) => s[0]));
  }

  run(): FileComments {
    const { text } = this;
    outer: while (this.i < text.length) {
      const c = text[this.i];
      if (c === '\n') {
        this.newline();
        this.i++;
        continue;
      }
      if (!this.starts.has(c)) {
        this.codeChar(c);
        this.i++;
        continue;
      }
      for (const [open, close] of this.syntax.block) {
        if (text.startsWith(open, this.i)) {
          this.blockComment(open, close);
          continue outer;
        }
      }
      for (const s of this.syntax.strings) {
        if (text.startsWith(s.open, this.i)) {
          this.string(s);
          continue outer;
        }
      }
      for (const open of this.syntax.line) {
        if (text.startsWith(open, this.i) && (!this.syntax.lineNeedsSpace || this.i === 0 || /\s/.test(text[this.i - 1]))) {
          this.lineComment(open);
          continue outer;
        }
      }
      this.codeChar(c);
      this.i++;
    }
    return { comments: this.comments, code: this.code.map((l) => l.trim()) };
  }

  private codeChar(c: string): void {
    if (c !== '\r') this.code[this.code.length - 1] += c;
  }

  private newline(): void {
    this.line++;
    this.code.push('');
  }

  private string(s: CommentSyntax['strings'][number]): void {
    const { text } = this;
    const start = this.i;
    let i = this.i + s.open.length;
    while (i < text.length) {
      if (s.escapes && text[i] === '\\') {
        i += 2;
        continue;
      }
      if (text.startsWith(s.close, i)) {
        i += s.close.length;
        break;
      }
      if (text[i] === '\n' && !s.multiline) break;
      i++;
    }
    // Strings are code; their lines still count.
    for (let k = start; k < i; k++) {
      if (text[k] === '\n') this.newline();
      else this.codeChar(text[k]);
    }
    this.i = i;
  }

  private lineComment(open: string): void {
    const { text } = this;
    let end = text.indexOf('\n', this.i);
    if (end === -1) end = text.length;
    const body = text.slice(this.i + open.length, end).replace(/\r$/, '');
    const wholeLine = this.code[this.code.length - 1].trim() === '';
    const entry: CommentLine = { line: this.line, text: stripDecoration(body.replace(new RegExp(`^${escapeRegExp(open[0])}+`), '')) };
    if (wholeLine && this.group && this.group.lastLine === this.line - 1) {
      this.group.comment.lines.push(entry);
      this.group.lastLine = this.line;
    } else {
      const comment: Comment = { kind: 'line', lines: [entry] };
      this.comments.push(comment);
      this.group = { comment, lastLine: this.line };
    }
    this.i = end;
  }

  private blockComment(open: string, close: string): void {
    const { text } = this;
    const bodyStart = this.i + open.length;
    let closeAt = text.indexOf(close, bodyStart);
    if (closeAt === -1) closeAt = text.length;
    const body = text.slice(bodyStart, closeAt);
    const lines: CommentLine[] = [];
    let line = this.line;
    for (const raw of body.split('\n')) {
      lines.push({ line, text: stripDecoration(raw.replace(/\r$/, '')) });
      line++;
    }
    this.comments.push({ kind: 'block', lines });
    this.group = undefined;
    for (let k = this.i; k < closeAt; k++) if (text[k] === '\n') this.newline();
    this.i = Math.min(text.length, closeAt + close.length);
  }
}

/** `* text` (JSDoc), `/** text`, `## text`: the decoration around a comment's words. */
function stripDecoration(s: string): string {
  return s.replace(/^\s*(?:\*+(?!\/)|!|\/)?\s?/, '').trimEnd();
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Prose (Markdown, plain text): each paragraph is one comment whose lines are the text as
 * written; fenced code blocks are examples, not notes, and are skipped. HTML comments count too.
 */
function scanProse(text: string, syntax: CommentSyntax): FileComments {
  const comments: Comment[] = [];
  const code: string[] = [];
  let paragraph: Comment | undefined;
  let fence: string | undefined;
  let inHtmlComment: Comment | undefined;
  const [open, close] = syntax.block[0] ?? ['<!--', '-->'];
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const content = raw.replace(/\r$/, '');
    code.push('');
    const fenceMark = /^\s*(```+|~~~+)/.exec(content)?.[1];
    if (fence !== undefined) {
      if (fenceMark !== undefined && fenceMark[0] === fence[0] && fenceMark.length >= fence.length) fence = undefined;
      code[index] = content.trim();
      return;
    }
    if (fenceMark !== undefined) {
      fence = fenceMark;
      paragraph = undefined;
      code[index] = content.trim();
      return;
    }
    if (inHtmlComment) {
      const end = content.indexOf(close);
      inHtmlComment.lines.push({ line, text: (end === -1 ? content : content.slice(0, end)).trim() });
      if (end !== -1) inHtmlComment = undefined;
      return;
    }
    const openAt = content.indexOf(open);
    if (openAt !== -1) {
      const end = content.indexOf(close, openAt + open.length);
      const comment: Comment = { kind: 'block', lines: [{ line, text: content.slice(openAt + open.length, end === -1 ? undefined : end).trim() }] };
      comments.push(comment);
      if (end === -1) inHtmlComment = comment;
      paragraph = undefined;
      return;
    }
    if (content.trim() === '') {
      paragraph = undefined;
      return;
    }
    if (!paragraph) {
      paragraph = { kind: 'prose', lines: [] };
      comments.push(paragraph);
    }
    paragraph.lines.push({ line, text: content.trim() });
  });
  return { comments, code };
}
