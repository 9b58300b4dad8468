/**
 * A file's findings as a pure function of its name, its bytes and the rules: bytes are decoded
 * (UTF-8, or UTF-16 by its byte-order mark), binary files are left to the rules that read binary
 * formats, minified and generated text gets the secret rules only, and text is matched in windows
 * of about {@link WINDOW_CHARS} so that a large file never blocks the thread in one piece. The
 * windows overlap, so a secret or a call that straddles a boundary is seen whole in one of them.
 *
 * The same {@link ContentScanner} serves a file read in one go and one streamed from disk.
 */
import { generatedKind, GENERATED_SAMPLE_CHARS, type GeneratedKind } from '../common/generated';
import { sniffEncoding, StreamingDecoder, type TextEncodingName } from '../common/decode';
import type { RiskyRule } from './rules';
import { dedupe, scanText, type RawFinding } from './scanText';
import { findBinarySecrets } from './secrets';

/** Characters matched at once. */
export const WINDOW_CHARS = 256 * 1024;
/** Characters each window repeats of the one before (a private key block is about 3 KB). */
export const OVERLAP_CHARS = 16 * 1024;
/** How many leading bytes decide the encoding (git's binary test reads as many). */
export const SNIFF_BYTES = 8000;
/** Binary formats a secret rule reads (secretlint's GCP service-account `.p12` key). */
const BINARY_SECRET_EXTENSIONS = new Set(['p12']);

export type ContentKind = { kind: 'text'; encoding: TextEncodingName; generated?: GeneratedKind | undefined } | { kind: 'binary' };

export interface ContentResult {
  content: ContentKind;
  findings: RawFinding[];
}

export interface ContentScanOptions {
  rules?: readonly RiskyRule[];
  /** See ScanTextOptions.prefilter. */
  prefilter?: boolean;
}

/**
 * Feeds a file's bytes in order; `end` returns its findings. `path` is the file's real name
 * (absolute when it is known): the rules look at its name and extension, and a binary-format rule
 * reads the file there.
 */
export class ContentScanner {
  private content: ContentKind | undefined;
  private head: Uint8Array = new Uint8Array(0);
  private decoder: StreamingDecoder | undefined;
  /** Decoded text not matched yet, preceded by the overlap of the last window. */
  private pending = '';
  /** Line (1-based) and column offset at which `pending` starts. */
  private line = 1;
  private column = 0;
  /** How much of `pending` was already matched as the tail of the last window. */
  private seen = 0;
  /** Decoded text held back until there is enough to judge whether the file is minified or generated. */
  private sample: string | undefined;
  private readonly found = new Map<string, RawFinding>();

  constructor(
    private readonly path: string,
    private readonly opts: ContentScanOptions = {},
  ) {}

  async push(bytes: Uint8Array): Promise<void> {
    if (this.content === undefined) {
      this.head = concat(this.head, bytes);
      if (this.head.length < SNIFF_BYTES) return;
      const head = this.head;
      this.head = new Uint8Array(0);
      await this.start(head);
      return;
    }
    if (this.decoder) await this.text(this.decoder.push(bytes));
  }

  async end(): Promise<ContentResult> {
    if (this.content === undefined) await this.start(this.head);
    const content = this.content!;
    if (content.kind === 'binary') {
      const ext = this.path.slice(this.path.lastIndexOf('.') + 1).toLowerCase();
      const findings = BINARY_SECRET_EXTENSIONS.has(ext) ? (await findBinarySecrets(this.path)).map(binaryFinding) : [];
      return { content, findings };
    }
    await this.text(this.decoder!.end(), true);
    return { content, findings: dedupe([...this.found.values()]) };
  }

  private async start(head: Uint8Array): Promise<void> {
    const sniffed = sniffEncoding(head.subarray(0, SNIFF_BYTES));
    if (!sniffed) {
      this.content = { kind: 'binary' };
      return;
    }
    this.decoder = new StreamingDecoder(sniffed);
    const first = this.decoder.push(head);
    this.content = { kind: 'text', encoding: sniffed.encoding };
    // Judged on the start only: a bundle is minified from its first line on.
    this.sample = '';
    await this.text(first);
  }

  private async text(more: string, last = false): Promise<void> {
    if (this.sample !== undefined) {
      this.sample += more;
      if (this.sample.length < GENERATED_SAMPLE_CHARS && !last) return;
      const content = this.content as Extract<ContentKind, { kind: 'text' }>;
      content.generated = generatedKind(this.path, this.sample);
      more = this.sample;
      this.sample = undefined;
    }
    this.pending += more;
    while (this.pending.length >= WINDOW_CHARS + OVERLAP_CHARS) await this.window(WINDOW_CHARS);
    if (last && this.pending.length > this.seen) await this.window(this.pending.length);
  }

  /** Matches `pending` up to about `size` characters, keeping the overlap for the next window. */
  private async window(size: number): Promise<void> {
    let cut = size;
    if (cut < this.pending.length) {
      // End the window at a line break when there is one in its second half.
      const nl = this.pending.lastIndexOf('\n', cut - 1);
      if (nl >= cut / 2) cut = nl + 1;
    }
    const windowText = this.pending.slice(0, cut);
    const content = this.content as Extract<ContentKind, { kind: 'text' }>;
    const found = await scanText(this.path, windowText, { rules: this.opts.rules, riskyCode: content.generated === undefined, prefilter: this.opts.prefilter });
    for (const f of found) {
      const at = { ...f, line: f.line + this.line - 1, column: f.line === 1 ? f.column + this.column : f.column };
      // A later window sees a match in the overlap with more of its statement after it.
      this.found.set(`${at.rule}\0${at.line}\0${at.column}`, at);
    }
    if (cut >= this.pending.length) {
      this.seen = this.pending.length;
      return;
    }
    const keepFrom = Math.max(0, cut - OVERLAP_CHARS);
    const dropped = this.pending.slice(0, keepFrom);
    const breaks = countBreaks(dropped);
    this.line += breaks;
    this.column = breaks === 0 ? this.column + dropped.length : dropped.length - dropped.lastIndexOf('\n') - 1;
    this.pending = this.pending.slice(keepFrom);
    this.seen = cut - keepFrom;
  }
}

/** The findings of a whole file held in memory. */
export async function scanContent(path: string, bytes: Uint8Array, opts: ContentScanOptions = {}): Promise<ContentResult> {
  const scanner = new ContentScanner(path, opts);
  await scanner.push(bytes);
  return scanner.end();
}

function binaryFinding(hit: Awaited<ReturnType<typeof findBinarySecrets>>[number]): RawFinding {
  return {
    rule: hit.rule,
    kind: 'secret',
    title: hit.title,
    severity: 'critical',
    line: 1,
    column: 0,
    shown: hit.title,
    message: `${hit.title} committed to the repository: revoke it, remove it from the history, and load it from the environment or a secret store.`,
    identity: `${hit.rule}:${hit.kind}`,
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function countBreaks(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
