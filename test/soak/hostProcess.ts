// A headless host as a real process, for the chaos soak (compiled to out/test/soak/): it runs
// src/host's startHost on the repository given as its argument, with the settings of that
// repository's .vscode/settings.json, and shuts down on SIGTERM like `serve` will.
//
// It prints one JSON line per event on stdout (HostEvent) and takes commands, one JSON line each,
// on stdin (HostCommand): start a ticket, cancel a run, list or stop orphans. Nothing here decides
// anything: every behaviour checked by the soak is the host module's own.
import { createInterface } from 'node:readline';
import { errorMessage } from '../../src/domain/errors';
import type { Logger } from '../../src/domain/logger';
import { startHost, type Host } from '../../src/host/host';
import { Settings } from '../../src/settings/settings';
import { repositorySettingsSource } from '../../src/settings/settingsFile';

export type HostCommand =
  | { id: number; cmd: 'start'; ticketId: string }
  | { id: number; cmd: 'cancel'; runId: string }
  | { id: number; cmd: 'orphans' }
  | { id: number; cmd: 'stopOrphan'; runId: string };

export type HostEvent =
  | { kind: 'ready'; at: number; ownerId: string; pid: number }
  | { kind: 'leader' | 'follower'; at: number }
  | { kind: 'write'; at: number; agent: string; owner: string; term: number }
  | { kind: 'ended'; at: number; runId: string; status: string }
  | { kind: 'log'; at: number; level: 'info' | 'warn' | 'error'; message: string }
  | { kind: 'reply'; at: number; id: number; ok: boolean; result?: unknown; error?: string }
  | { kind: 'stopped'; at: number };

function emit(event: HostEvent, then?: () => void): void {
  process.stdout.write(`${JSON.stringify(event)}\n`, then);
}

const log: Logger = {
  trace() {},
  debug() {},
  info: (message) => emit({ kind: 'log', at: Date.now(), level: 'info', message }),
  warn: (message) => emit({ kind: 'log', at: Date.now(), level: 'warn', message }),
  error: (message) => emit({ kind: 'log', at: Date.now(), level: 'error', message: message instanceof Error ? message.message : message }),
};

async function answer(host: Host, command: HostCommand): Promise<unknown> {
  switch (command.cmd) {
    case 'start': {
      const started = await host.runner.startTicket(command.ticketId);
      return { runId: started.run.id };
    }
    case 'cancel':
      return (await host.runs.cancel(command.runId, 'cancelled by the soak'))?.status;
    case 'orphans':
      return (await host.orphans()).map((r) => r.id);
    case 'stopOrphan':
      return host.stopOrphan(command.runId);
  }
}

async function main(repoRoot: string): Promise<void> {
  // The soak lowers this process's file size limit to stand in for a full disk: a write past it
  // must fail the way one on a full disk does (EFBIG), not end the process with SIGXFSZ.
  process.on('SIGXFSZ', () => undefined);
  const settings = new Settings(repositorySettingsSource(repoRoot), log);
  const host = await startHost({ repoRoot, settings, log });
  let leader = false;
  host.manager.onDidChangeStatus(() => {
    if (host.manager.isLeader === leader) return;
    leader = host.manager.isLeader;
    emit({ kind: leader ? 'leader' : 'follower', at: Date.now() });
  });
  host.manager.onDidWrite((w) => emit({ kind: 'write', at: w.at, agent: w.agent, owner: w.owner, term: w.term }));
  host.runs.onDidEndRun((e) => emit({ kind: 'ended', at: Date.now(), runId: e.run.id, status: e.run.status }));
  emit({ kind: 'ready', at: Date.now(), ownerId: host.board.ownerId, pid: process.pid });

  const lines = createInterface({ input: process.stdin });
  // The soak went away: nothing may outlive it.
  lines.on('close', () => void host.stop('the soak that ran this host went away'));
  lines.on('line', (line) => {
    let command: HostCommand;
    try {
      command = JSON.parse(line) as HostCommand;
    } catch {
      return;
    }
    answer(host, command).then(
      (result) => emit({ kind: 'reply', at: Date.now(), id: command.id, ok: true, result }),
      (err: unknown) => emit({ kind: 'reply', at: Date.now(), id: command.id, ok: false, error: errorMessage(err) }),
    );
  });
  await host.stopped;
  emit({ kind: 'stopped', at: Date.now() }, () => process.exit(0));
}

main(process.argv[2] ?? process.cwd()).catch((err: unknown) => {
  process.stderr.write(`soak host failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
