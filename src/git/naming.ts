/**
 * Names of a ticket's branch and worktree folder. Ticket titles are untrusted text, so the only
 * parts that reach git or the file system are the validated ticket id and a slug restricted to
 * lowercase ASCII letters, digits and dashes; the result is checked again at the end (the folder
 * must lie inside the worktree location, the branch must pass `git check-ref-format`).
 */
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { FactoryError } from '../domain/errors';
import { assertTicketId } from '../domain/ids';
import { isInside } from './paths';

export const SLUG_MAX = 40;
export const DEFAULT_BRANCH_PREFIX = 'factory/';
const SLUG_FALLBACK = 'ticket';

export interface NamingSettings {
  /** Folder holding the worktrees; empty or undefined: `<parent of repo>/<repo name>.worktrees`. */
  location?: string | undefined;
  /** Prepended to every ticket branch; undefined: `factory/`. Empty is allowed. */
  branchPrefix?: string | undefined;
}

export interface TicketNames {
  slug: string;
  branch: string;
  /** The resolved worktree location. */
  location: string;
  /** `<location>/<id>-<slug>`. */
  path: string;
}

/** Lowercase ASCII letters, digits and single dashes; at most 40 characters; never empty. */
export function slugify(title: string): string {
  const ascii = title
    .normalize('NFKD')
    // Accents decompose into a letter and a combining mark; the mark goes, the letter stays.
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const cut = ascii.slice(0, SLUG_MAX).replace(/-+$/, '');
  return cut === '' ? SLUG_FALLBACK : cut;
}

/** Checks the branch prefix setting; the error names what to change. */
export function validateBranchPrefix(prefix: string | undefined): string {
  const p = prefix ?? DEFAULT_BRANCH_PREFIX;
  if (p === '') return p;
  const problem =
    !/^[A-Za-z0-9._/-]+$/.test(p)
      ? 'use only letters, digits, ".", "_", "-" and "/"'
      : p.startsWith('/') || p.startsWith('-')
        ? 'it cannot start with "/" or "-"'
        : p.includes('//') || p.includes('..')
          ? 'it cannot contain "//" or ".."'
          : p.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock'))
            ? 'no part of it may start with "." or end with ".lock"'
            : p.length > 100
              ? 'it is longer than 100 characters'
              : undefined;
  if (problem) throw new FactoryError('invalid-input', `agentFactory.worktrees.branchPrefix ${JSON.stringify(p).slice(0, 60)} is not usable: ${problem}`);
  return p;
}

export function defaultWorktreeLocation(repoRoot: string): string {
  const root = resolve(repoRoot);
  return join(dirname(root), `${basename(root)}.worktrees`);
}

/** The location setting resolved: `~` is the home folder, a relative path is relative to the repository. */
export function resolveWorktreeLocation(repoRoot: string, location: string | undefined): string {
  const loc = location?.trim();
  if (!loc) return defaultWorktreeLocation(repoRoot);
  if (loc === '~') return homedir();
  if (loc.startsWith('~/') || loc.startsWith('~\\')) return join(homedir(), loc.slice(2));
  return isAbsolute(loc) ? resolve(loc) : resolve(repoRoot, loc);
}

/** Branch and folder for a ticket, before git has confirmed the branch name. */
export function ticketNames(repoRoot: string, ticket: { id: string; title: string }, settings: NamingSettings = {}): TicketNames {
  const id = assertTicketId(ticket.id);
  const slug = slugify(ticket.title);
  const prefix = validateBranchPrefix(settings.branchPrefix);
  const location = resolveWorktreeLocation(repoRoot, settings.location);
  const folder = `${id}-${slug}`;
  const path = resolve(location, folder);
  if (!isInside(location, path) || dirname(path) !== location) {
    throw new FactoryError('invalid-input', `the worktree folder for ${id} would leave ${location}`);
  }
  return { slug, branch: `${prefix}${folder}`, location, path };
}

/** ticketNames, with the branch name confirmed by `git check-ref-format --branch`. */
export async function checkedTicketNames(
  checkRefFormat: (name: string) => Promise<boolean>,
  repoRoot: string,
  ticket: { id: string; title: string },
  settings: NamingSettings = {},
): Promise<TicketNames> {
  const names = ticketNames(repoRoot, ticket, settings);
  if (!(await checkRefFormat(names.branch))) {
    throw new FactoryError('invalid-input', `git refuses the branch name ${names.branch}; change agentFactory.worktrees.branchPrefix`);
  }
  return names;
}
