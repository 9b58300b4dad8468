// The soak's world: a real git repository with a board, the settings every host reads from its
// .vscode/settings.json, the headless hosts as real processes, and the CLI as a person uses it.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type { Status } from '../../src/domain/status';
import { openBoard, type SqlBoard } from '../../src/store/sqlBoard';
import type { HostCommand, HostEvent } from './hostProcess';

export interface SoakSettings {
  leaseTimeoutSeconds: number;
  pmIntervalSeconds: number;
  healGraceMinutes: number;
  maxRunMinutes: number;
  stopGraceSeconds: number;
  maxParallel: number;
  /** `agentFactory.pipeline`: development, then a review the soak's agents approve. */
  pipeline: Status[];
}

export const SOAK_SETTINGS: SoakSettings = {
  leaseTimeoutSeconds: 10,
  pmIntervalSeconds: 5,
  healGraceMinutes: 0.25,
  maxRunMinutes: 1,
  stopGraceSeconds: 3,
  maxParallel: 2,
  pipeline: ['IN_DEV', 'IN_QA'],
};

export interface WorldPaths {
  /** Everything of this soak: the repository, its worktrees, logs, journals. */
  root: string;
  repo: string;
  /** Where hosts and fake agents are found (the compiled tests). */
  outDir: string;
  /** Scenario files, one per ticket and stage. */
  scenarios: string;
  /** The fake agents' journal (one JSON line per start, exit, SIGTERM, CLI call). */
  agentJournal: string;
  logs: string;
}

/** A command without its id (the handle numbers them). */
export type CommandBody = HostCommand extends infer C ? (C extends HostCommand ? Omit<C, 'id'> : never) : never;

/** A host process and what it said. */
export class HostHandle {
  readonly events: HostEvent[] = [];
  ownerId: string | undefined;
  leader = false;
  exited = false;
  /** Set while SIGSTOPped: the time it will be continued. */
  stoppedSince: number | undefined;
  readonly startedAt = Date.now();
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: Extract<HostEvent, { kind: 'reply' }>) => void>();
  private readonly exit: Promise<number | null>;
  private readonly log: WriteStream;

  constructor(
    readonly name: string,
    private readonly proc: ChildProcess,
    logFile: string,
  ) {
    this.log = createWriteStream(logFile);
    this.exit = new Promise((resolve) =>
      proc.once('exit', (code) => {
        this.exited = true;
        this.leader = false;
        for (const done of this.waiting.values()) done({ kind: 'reply', at: Date.now(), id: -1, ok: false, error: 'the host exited' });
        this.waiting.clear();
        resolve(code);
      }),
    );
    proc.stderr?.pipe(this.log);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      this.log.write(`${line}\n`);
      let event: HostEvent;
      try {
        event = JSON.parse(line) as HostEvent;
      } catch {
        return;
      }
      this.events.push(event);
      if (event.kind === 'ready') this.ownerId = event.ownerId;
      if (event.kind === 'leader') this.leader = true;
      if (event.kind === 'follower') this.leader = false;
      if (event.kind === 'reply') {
        this.waiting.get(event.id)?.(event);
        this.waiting.delete(event.id);
      }
    });
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /** Running and not SIGSTOPped. */
  get usable(): boolean {
    return !this.exited && this.stoppedSince === undefined && this.ownerId !== undefined;
  }

  /** Sends a command; resolves with the host's reply (or a failure when it dies first). */
  send(command: CommandBody, timeoutMs = 60_000): Promise<Extract<HostEvent, { kind: 'reply' }>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve({ kind: 'reply', at: Date.now(), id, ok: false, error: 'no reply in time' });
      }, timeoutMs);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      if (this.exited || !this.proc.stdin?.writable) {
        this.waiting.get(id)?.({ kind: 'reply', at: Date.now(), id, ok: false, error: 'the host is gone' });
        return;
      }
      this.proc.stdin.write(`${JSON.stringify({ ...command, id })}\n`);
    });
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.exited) this.proc.kill(signal);
  }

  /** Resolves with the exit code once the process is gone (null after a signal). */
  whenExited(): Promise<number | null> {
    return this.exit;
  }

  async closeLog(): Promise<void> {
    await new Promise<void>((resolve) => this.log.end(resolve));
  }
}

export class SoakWorld {
  readonly hosts: HostHandle[] = [];
  board!: SqlBoard;
  private hostCount = 0;
  /** Set in every host's environment (and so every agent's): tells the soak's processes apart. */
  readonly marker: string;

  constructor(
    readonly paths: WorldPaths,
    readonly settings: SoakSettings,
    soakId: string,
  ) {
    this.marker = `AGENT_FACTORY_SOAK_ID=${soakId}`;
  }

  /** A repository with one commit and the settings, a board, nothing else. */
  async create(): Promise<void> {
    const { repo } = this.paths;
    for (const dir of [repo, this.paths.scenarios, this.paths.logs]) mkdirSync(dir, { recursive: true });
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    git('init', '-q', '-b', 'main');
    git('config', 'user.name', 'Soak');
    git('config', 'user.email', 'soak@example.com');
    git('config', 'commit.gpgsign', 'false');
    const s = this.settings;
    const agent = { program: process.execPath, args: [path.join(this.paths.outDir, 'test', 'fixtures', 'agents', 'fakeAgent.js'), `@${this.paths.scenarios}/\${ticketId}-\${stage}.json`] };
    const settings = {
      'agentFactory.agents.dev.command': agent,
      'agentFactory.agents.qa.command': agent,
      'agentFactory.board.leaseTimeoutSeconds': s.leaseTimeoutSeconds,
      'agentFactory.pm.intervalSeconds': s.pmIntervalSeconds,
      'agentFactory.pm.healGraceMinutes': s.healGraceMinutes,
      'agentFactory.pm.maxRunMinutes': s.maxRunMinutes,
      'agentFactory.pm.stallMinutes': 1,
      'agentFactory.pm.maxHeals': 5,
      'agentFactory.pm.stopGraceSeconds': s.stopGraceSeconds,
      'agentFactory.runs.maxParallel': s.maxParallel,
      'agentFactory.pipeline': s.pipeline,
      'agentFactory.agents.cycleTimeoutSeconds': 30,
      'agentFactory.security.intervalSeconds': 60,
      'agentFactory.gatherer.intervalSeconds': 120,
      'agentFactory.worktree.intervalSeconds': 10,
    };
    mkdirSync(path.join(repo, '.vscode'));
    writeFileSync(path.join(repo, '.vscode', 'settings.json'), `// The soak's settings\n${JSON.stringify(settings, null, 2)}\n`);
    writeFileSync(path.join(repo, 'README.md'), '# soak\n');
    git('add', '-A');
    git('commit', '-q', '-m', 'initial');
    const created = await this.cli(['init']);
    if (created.code !== 0) throw new Error(`agent-factory init failed: ${created.stderr}`);
    this.board = await openBoard({ dir: path.join(repo, '.factory'), repoRoot: repo, create: false, pollMs: 500 });
  }

  /** Starts a headless host process; resolves once it said it is ready. */
  async startHost(): Promise<HostHandle> {
    const name = `host-${++this.hostCount}`;
    const proc = spawn(process.execPath, [path.join(this.paths.outDir, 'test', 'soak', 'hostProcess.js'), this.paths.repo], {
      cwd: this.paths.repo,
      env: this.env(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const host = new HostHandle(name, proc, path.join(this.paths.logs, `${name}.log`));
    this.hosts.push(host);
    const deadline = Date.now() + 60_000;
    while (host.ownerId === undefined && !host.exited) {
      if (Date.now() > deadline) throw new Error(`${name} did not start within a minute`);
      await delay(50);
    }
    if (host.exited) throw new Error(`${name} exited while starting (see ${this.paths.logs}/${name}.log)`);
    return host;
  }

  liveHosts(): HostHandle[] {
    return this.hosts.filter((h) => !h.exited);
  }

  usableHosts(): HostHandle[] {
    return this.hosts.filter((h) => h.usable);
  }

  /** The CLI as a person runs it in the repository; `code` 0 means the write was acknowledged. */
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const script = path.join(this.paths.outDir, 'src', 'cli', 'main.js');
    return new Promise((resolve) => {
      execFile(process.execPath, [script, ...args], { cwd: this.paths.repo, env: this.env(), encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });
  }

  private env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, AGENT_FACTORY_FAKE_JOURNAL: this.paths.agentJournal };
    for (const key of Object.keys(env)) if (key.startsWith('AGENT_FACTORY_') && key !== 'AGENT_FACTORY_FAKE_JOURNAL') delete env[key];
    const [name, value] = this.marker.split('=');
    env[name] = value;
    return env;
  }
}

/** Waits `ms`, or less when `signal` aborts first (the soak winding down). */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
