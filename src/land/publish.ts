/**
 * Push Branch and Create Pull Request: a ticket's branch to the repository's remote through git
 * (never forced: a remote branch that moved elsewhere is refused by git, with its reason), and a
 * pull request through the GitHub CLI when it is installed. Nothing here is built as a shell
 * string; the ticket's title and description reach `gh` as single arguments.
 */
import { execFile } from 'node:child_process';
import { FactoryError, errorMessage } from '../domain/errors';
import { assertTicketId } from '../domain/ids';
import type { Worktree } from '../domain/ticket';
import { runGit, tryGit } from '../git/runGit';
import { findProgram } from '../runner/profiles/programLookup';
import type { BoardReader } from '../store/api';

const GH_TIMEOUT_MS = 120_000;
/** Pushing must never wait for a password prompt nobody sees. */
const NO_PROMPT = { GIT_TERMINAL_PROMPT: '0' };

export interface Pushed {
  ticketId: string;
  remote: string;
  branch: string;
  /** git's own account of the push. */
  output: string;
}

export interface PullRequest extends Pushed {
  /** What `gh pr create` printed: the pull request's address. */
  url: string;
}

export async function remotes(repo: string, signal?: AbortSignal): Promise<string[]> {
  const out = await tryGit(repo, ['remote'], { signal });
  return (out ?? '').split('\n').map((r) => r.trim()).filter((r) => r !== '');
}

/** The remote a ticket's branch goes to: its base's remote, else `origin`, else the only one. */
export async function pushRemote(repo: string, base: string, signal?: AbortSignal): Promise<string | undefined> {
  const all = await remotes(repo, signal);
  if (all.length === 0) return undefined;
  const ofBase = /^[A-Za-z0-9._/-]+$/.test(base) ? (await tryGit(repo, ['config', '--get', `branch.${base}.remote`], { signal }))?.trim() : undefined;
  if (ofBase && all.includes(ofBase)) return ofBase;
  return all.includes('origin') ? 'origin' : all[0];
}

/** Pushes the ticket's branch to the remote and makes it the branch's upstream. */
export async function pushBranch(reader: BoardReader, repo: string, ticketId: string, signal?: AbortSignal): Promise<Pushed> {
  const { id, worktree } = ticketWithBranch(reader, ticketId);
  const remote = await pushRemote(repo, worktree.base, signal);
  if (!remote) throw new FactoryError('invalid-input', `the repository has no remote to push ${worktree.branch} to; add one with "git remote add origin <url>"`);
  if (!(await tryGit(repo, ['rev-parse', '--verify', '--quiet', `refs/heads/${worktree.branch}`], { signal }))?.trim()) {
    throw new FactoryError('not-found', `the branch ${worktree.branch} of ${id} does not exist`);
  }
  const ref = `refs/heads/${worktree.branch}`;
  const output = await runGit(repo, ['push', '--porcelain', '--set-upstream', remote, `${ref}:${ref}`], { signal, extraEnv: NO_PROMPT });
  return { ticketId: id, remote, branch: worktree.branch, output: output.trim() };
}

/**
 * Pushes the branch and opens a pull request into its base with `gh`. Without `gh` on the PATH it
 * says what is missing and does nothing.
 */
export async function createPullRequest(reader: BoardReader, repo: string, ticketId: string, env: NodeJS.ProcessEnv = process.env, signal?: AbortSignal): Promise<PullRequest> {
  const { id, ticket, worktree } = ticketWithBranch(reader, ticketId);
  const gh = await findProgram('gh', env);
  if (!gh) {
    throw new FactoryError(
      'not-found',
      'Create Pull Request needs the GitHub CLI, and `gh` is not on the PATH. Install it (https://cli.github.com), sign in with `gh auth login`, and try again; or use Push Branch and open the pull request on your git host.',
    );
  }
  const pushed = await pushBranch(reader, repo, id, signal);
  const body = [ticket.description.trim(), ...(ticket.acceptanceCriteria.length > 0 ? ['', 'Acceptance criteria:', ...ticket.acceptanceCriteria.map((c) => `- ${c}`)] : []), '', `Ticket ${id} of the Agent Factory board.`]
    .join('\n')
    .trim();
  const args = ['pr', 'create', '--head', worktree.branch, '--base', worktree.base, '--title', `${ticket.title} (${id})`, '--body', body];
  const url = await new Promise<string>((resolve, reject) => {
    execFile(gh, args, { cwd: worktree.path, env, timeout: GH_TIMEOUT_MS, windowsHide: true, maxBuffer: 1024 * 1024, signal }, (err, stdout, stderr) => {
      if (err) return reject(new FactoryError('runner', `gh pr create failed: ${(stderr.trim() || errorMessage(err)).slice(0, 2000)}`, { cause: err }));
      resolve(stdout.trim().split('\n').pop() ?? '');
    });
  });
  return { ...pushed, url };
}

function ticketWithBranch(reader: BoardReader, ticketId: string) {
  const id = assertTicketId(ticketId);
  const ticket = reader.getTicket(id);
  if (!ticket) throw new FactoryError('not-found', `there is no ticket ${id} on this board`);
  if (!ticket.worktree) throw new FactoryError('invalid-input', `${id} has no branch yet: start it first`);
  const worktree: Worktree = ticket.worktree;
  return { id, ticket, worktree };
}
