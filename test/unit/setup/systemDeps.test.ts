// scripts/system-deps.sh decides what a machine lacks and how to install it. These tests run the
// real script with a PATH holding only fakes (id, dpkg, sudo, apt-get, the tools it looks for)
// in a temp folder, and read what it did from the fakes' log.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { repoRoot } from '../helpers/repoRoot';

const script = join(repoRoot, 'scripts', 'system-deps.sh');
const realBash = execFileSync('bash', ['-c', 'command -v bash'], { encoding: 'utf8' }).trim();
const realTool = (name: string) => execFileSync(realBash, ['-c', `type -P ${name}`], { encoding: 'utf8' }).trim();

interface Machine {
  /** The user's id; 0 is root. */
  uid?: number;
  /** `sudo -n` works (passwordless), asks for a password, or there is no sudo. */
  sudo?: 'passwordless' | 'password' | 'none';
  /** Whether apt-get and dpkg exist (a Debian-like machine). */
  debian?: boolean;
  /** Debian packages dpkg reports as installed. */
  debs?: string[];
  /** Programs on the PATH besides the fakes above. */
  tools?: string[];
  /** code-server already in the cache. */
  codeServerInstalled?: boolean;
  env?: Record<string, string>;
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  /** One line per call of a fake: `<program> <args>`. */
  calls: string[];
}

const ALL_TOOLS = ['git', 'chromium', 'g++', 'make', 'python3'];
const temps: string[] = [];
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function fake(bin: string, name: string, body: string): void {
  const file = join(bin, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
}

/** Runs the real script for `purpose` on a machine made of fakes. */
function runOn(purpose: string, machine: Machine): Outcome {
  const dir = mkdtempSync(join(tmpdir(), 'af-sysdeps-'));
  temps.push(dir);
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const log = join(dir, 'calls.log');
  writeFileSync(log, '');
  // What sudo and the install line run through: the real ones, looked up on the fake PATH.
  symlinkSync(realTool('env'), join(bin, 'env'));
  symlinkSync(realTool('true'), join(bin, 'true'));
  fake(bin, 'id', `[ "$1" = -u ] && echo ${machine.uid ?? 0}`);
  for (const tool of machine.tools ?? ALL_TOOLS) fake(bin, tool, `echo "${tool} $*" >> '${log}'`);
  const sudo = machine.sudo ?? 'none';
  if (sudo !== 'none') {
    fake(bin, 'sudo', [
      `echo "sudo $*" >> '${log}'`,
      '[ "$1" = -n ] || { echo "sudo: would prompt" >&2; exit 1; }',
      sudo === 'passwordless' ? 'shift; exec "$@"' : 'echo "sudo: a password is required" >&2; exit 1',
    ].join('\n'));
  }
  if (machine.debian ?? true) {
    const debs = ` ${(machine.debs ?? ['libkrb5-dev']).join(' ')} `;
    fake(bin, 'dpkg', `[ "$1" = -s ] || exit 2\ncase "${debs}" in *" $2 "*) exit 0 ;; esac\nexit 1`);
    fake(bin, 'apt-get', `echo "apt-get $* (DEBIAN_FRONTEND=$DEBIAN_FRONTEND)" >> '${log}'`);
  }
  const cache = join(dir, 'cache');
  if (machine.codeServerInstalled) {
    const csBin = join(cache, 'code-server-4.139.1', 'bin');
    mkdirSync(csBin, { recursive: true });
    fake(csBin, 'code-server', 'exit 0');
    fake(csBin, 'node', 'exit 0');
  }
  const result = spawnSync(realBash, [script, purpose], {
    encoding: 'utf8',
    env: { PATH: bin, HOME: dir, AGENT_FACTORY_CACHE: cache, CODE_SERVER_VERSION: '4.139.1', ...machine.env },
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, calls: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

/** The calls apt-get itself received. */
const installs = (o: Outcome) => o.calls.filter((c) => c.startsWith('apt-get '));

describe('scripts/system-deps.sh', () => {
  it('does nothing, silently, when everything is there', () => {
    const o = runOn('test', {});
    assert.equal(o.code, 0, o.stderr);
    assert.equal(o.stderr, '');
    assert.deepEqual(o.calls, []);
  });

  it('as root, installs exactly what is missing with apt-get, non-interactively, saying why first', () => {
    const o = runOn('test', { tools: ['git', 'make', 'python3'], debs: [] });
    assert.equal(o.code, 0, o.stderr);
    assert.deepEqual(installs(o), [
      'apt-get update (DEBIAN_FRONTEND=)',
      'apt-get install -y --no-install-recommends chromium libkrb5-dev g++ (DEBIAN_FRONTEND=noninteractive)',
    ]);
    assert.match(o.stderr, /installing chromium libkrb5-dev g\+\+ with apt-get/);
    assert.match(o.stderr, /chromium: the UI tests drive VS Code's workbench in headless Chromium/);
    assert.match(o.stderr, /libkrb5-dev: installing code-server builds its native modules/);
    assert.equal(o.stdout, '', 'stdout stays free for callers');
  });

  it('as a user with passwordless sudo, installs through sudo -n', () => {
    const o = runOn('test', { uid: 1000, sudo: 'passwordless', tools: ['git', 'chromium', 'g++', 'make'] });
    assert.equal(o.code, 0, o.stderr);
    assert.deepEqual(o.calls, [
      'sudo -n true',
      'sudo -n apt-get update',
      'apt-get update (DEBIAN_FRONTEND=)',
      'sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3',
      'apt-get install -y --no-install-recommends python3 (DEBIAN_FRONTEND=noninteractive)',
    ]);
  });

  for (const sudo of ['password', 'none'] as const) {
    it(`as a user ${sudo === 'none' ? 'without sudo' : 'whose sudo wants a password'}, installs nothing and gives the exact command`, () => {
      const o = runOn('test', { uid: 1000, sudo, tools: ['git', 'g++', 'make', 'python3'] });
      assert.equal(o.code, 1);
      assert.deepEqual(installs(o), []);
      assert.ok(o.stderr.includes('  sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium\n'), o.stderr);
      assert.match(o.stderr, /CHROMIUM_PATH=/);
    });
  }

  it('without apt-get, names the packages and the variables that use what the machine has', () => {
    const o = runOn('test', { debian: false, tools: ['git', 'make'] });
    assert.equal(o.code, 1);
    assert.deepEqual(o.calls, []);
    assert.match(o.stderr, /no apt-get/);
    for (const pkg of ['chromium', 'libkrb5-dev', 'g\\+\\+', 'python3']) assert.match(o.stderr, new RegExp(`^  ${pkg}: `, 'm'));
    assert.doesNotMatch(o.stderr, /^ {2}(git|make): /m);
    for (const variable of ['CHROMIUM_PATH', 'CODE_SERVER_BIN', 'VSCODE_EXECUTABLE']) assert.match(o.stderr, new RegExp(`${variable}=`));
  });

  it('without dpkg, takes krb5-config for the Kerberos headers', () => {
    const o = runOn('test', { debian: false, tools: [...ALL_TOOLS, 'krb5-config'] });
    assert.equal(o.code, 0, o.stderr);
  });

  it('needs no build tools once code-server is installed, or CODE_SERVER_BIN names one', () => {
    for (const machine of [{ codeServerInstalled: true }, { env: { CODE_SERVER_BIN: '/opt/code-server/bin' } }]) {
      const o = runOn('test', { ...machine, tools: ['git', 'chromium'], debs: [] });
      assert.equal(o.code, 0, o.stderr);
      assert.deepEqual(o.calls, []);
    }
  });

  it('for npm start, needs neither a browser nor code-server with a desktop VS Code', () => {
    const withDesktop = runOn('start', { tools: ['git'], debs: [], env: { VSCODE_EXECUTABLE: '/usr/bin/code' } });
    assert.equal(withDesktop.code, 0, withDesktop.stderr);
    assert.deepEqual(withDesktop.calls, []);
    const codeOnPath = runOn('start', { tools: ['git', 'code'], debs: [] });
    assert.equal(codeOnPath.code, 0, codeOnPath.stderr);
    const withoutDesktop = runOn('start', { tools: ['git'], debs: [] });
    assert.deepEqual(installs(withoutDesktop).at(-1), 'apt-get install -y --no-install-recommends libkrb5-dev g++ make python3 (DEBIAN_FRONTEND=noninteractive)');
  });

  it('takes CHROMIUM_PATH for the browser, and refuses one that is not there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'af-chromium-'));
    temps.push(dir);
    const browser = join(dir, 'chrome');
    fake(dir, 'chrome', 'exit 0');
    const given = runOn('test', { tools: ['git', 'g++', 'make', 'python3'], env: { CHROMIUM_PATH: browser } });
    assert.equal(given.code, 0, given.stderr);
    assert.deepEqual(given.calls, []);
    const wrong = runOn('test', { env: { CHROMIUM_PATH: join(dir, 'missing') } });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /CHROMIUM_PATH is .*missing, which is not an executable file/);
    assert.deepEqual(installs(wrong), []);
  });

  it('refuses an unknown purpose', () => {
    const o = runOn('deploy', {});
    assert.equal(o.code, 2);
    assert.match(o.stderr, /usage: scripts\/system-deps.sh start\|test/);
  });
});
