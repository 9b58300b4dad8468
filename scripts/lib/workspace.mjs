// Throwaway git repositories opened as the workspace by the in-host suite, the UI smoke and
// `npm start`. A seed decides what is in the repository besides its first commit; add one to
// `seeds` when a test needs a different starting point and select it with AGENT_FACTORY_TEST_SEED.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { root } from './paths.mjs';
import { makeTempDir } from './temp.mjs';

/** Where the dev agent of the `boardWithAgent` seed leaves its marker: beside the repository. */
export const AGENT_MARKER = 'agent-ran.marker';

/** git with a fixed identity and without the user's or the system's configuration. */
export const gitEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Agent Factory Test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'Agent Factory Test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
};

export function git(cwd, ...args) {
  return execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Helpers a seed gets: write files and commit them in the repository. */
function repoHelpers(dir) {
  return {
    dir,
    write(rel, content) {
      const file = join(dir, rel);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
      return file;
    },
    commit(message) {
      git(dir, 'add', '-A');
      git(dir, 'commit', '-q', '--allow-empty', '-m', message);
      return git(dir, 'rev-parse', 'HEAD');
    },
  };
}

/** name -> function(repo) that fills a fresh repository (which then gets its first commit). */
export const seeds = {
  /** A README and a small source file: a repository with nothing of Agent Factory in it. */
  basic(repo) {
    repo.write('README.md', '# demo\n\nA repository for trying Agent Factory.\n');
    repo.write('src/main.js', "export function greet(name) {\n  return `hello ${name}`;\n}\n");
  },
  /**
   * `basic`, plus a board (made by the built CLI) with one READY ticket, and a dev agent in the
   * workspace settings that leaves a marker file when it runs: for Restricted Mode, where neither
   * the setting nor Start may take effect. The git extension is turned off (`git.enabled`), so
   * once trusted the window works through simple-git alone.
   */
  boardWithAgent(repo) {
    seeds.basic(repo);
    const cli = (...args) => execFileSync(process.execPath, [join(root, 'dist', 'cli.js'), ...args], { cwd: repo.dir, encoding: 'utf8' });
    cli('init');
    cli('create', 'Seeded ticket that must not start untrusted', '--status', 'READY');
    const marker = join(dirname(repo.dir), AGENT_MARKER);
    const command = { program: '/bin/sh', args: ['-c', 'echo "$1" > "$2"', 'agent', '${ticketId}', marker] };
    const settings = { 'agentFactory.agents.dev.command': command, 'git.enabled': false };
    repo.write('.vscode/settings.json', `${JSON.stringify(settings, null, 2)}\n`);
  },
};

/**
 * Creates `<temp>/<name>` as a git repository on branch `main` with the seed's files in its first
 * commit, and returns its absolute path. `parent` defaults to a temp folder removed at cleanup;
 * worktrees created by the extension land beside the repository, inside that folder.
 * @param {{ seed?: string, parent?: string, name?: string }} [options]
 */
export function createWorkspace({ seed = process.env.AGENT_FACTORY_TEST_SEED ?? 'basic', parent, name = 'workspace' } = {}) {
  const fill = seeds[seed];
  if (!fill) throw new Error(`unknown workspace seed "${seed}"; known: ${Object.keys(seeds).join(', ')}`);
  const dir = join(parent ?? makeTempDir('workspace'), name);
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  // Local identity: the extension and the built-in git extension commit with the user's config.
  git(dir, 'config', 'user.name', 'Agent Factory Test');
  git(dir, 'config', 'user.email', 'test@example.invalid');
  git(dir, 'config', 'commit.gpgsign', 'false');
  const repo = repoHelpers(dir);
  fill(repo);
  repo.commit('initial commit');
  return dir;
}
