/**
 * An asynchronous depth-first walk of a folder with lstat (symlinks are reported, never
 * followed). The visitor decides per folder whether to go in, so callers can treat a whole folder
 * as one unit. It yields to the event loop regularly so the extension host never blocks on a
 * folder of a hundred thousand files.
 */
import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { FactoryError } from '../../domain/errors';

export interface WalkEntry {
  /** Relative to the walk's root, with forward slashes. */
  rel: string;
  abs: string;
  stat: Stats;
  /** For a folder: its entries' names, sorted; undefined when it could not be read. */
  children?: string[] | undefined;
  /** Why a folder could not be read (EACCES, ...). */
  readError?: string | undefined;
}

export type WalkDecision = 'descend' | 'skip';
export type Visitor = (entry: WalkEntry) => WalkDecision | void | Promise<WalkDecision | void>;

const YIELD_EVERY = 256;

/** Walks everything below `root` (not `root` itself); the visitor returns 'skip' to stay out of a folder. */
export async function walkTree(root: string, visit: Visitor, signal?: AbortSignal): Promise<void> {
  const rootChildren = await readChildren(root);
  if (rootChildren.error) throw new FactoryError('git', `cannot read ${root}: ${rootChildren.error}`);
  const stack: { rel: string; names: string[] }[] = [{ rel: '', names: rootChildren.names }];
  let sinceYield = 0;
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const name = top.names.shift();
    if (name === undefined) {
      stack.pop();
      continue;
    }
    if (signal?.aborted) throw new FactoryError('cancelled', `walking ${root} was cancelled`);
    if (++sinceYield >= YIELD_EVERY) {
      sinceYield = 0;
      await yieldToEventLoop();
    }
    const rel = top.rel ? `${top.rel}/${name}` : name;
    const abs = join(root, rel);
    let stat: Stats;
    try {
      stat = await lstat(abs);
    } catch {
      // Gone while we walked: nothing there to account for.
      continue;
    }
    const entry: WalkEntry = { rel, abs, stat };
    if (stat.isDirectory()) {
      const read = await readChildren(abs);
      entry.children = read.error ? undefined : read.names;
      entry.readError = read.error;
    }
    const decision = await visit(entry);
    if (stat.isDirectory() && entry.children && decision !== 'skip') stack.push({ rel, names: [...entry.children] });
  }
}

async function readChildren(abs: string): Promise<{ names: string[]; error?: string }> {
  try {
    return { names: (await readdir(abs)).sort() };
  } catch (err) {
    return { names: [], error: (err as NodeJS.ErrnoException).code ?? String(err) };
  }
}
