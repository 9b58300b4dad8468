/**
 * `agent-factory`: the board from a terminal, for agents (note, progress, block, heartbeat, the
 * verdicts done/approve/reject, bug, inbox) and for people and scripts (init, list, show, create,
 * edit, move, heal, agents, runs, autopilot, status). Works with or
 * without VS Code running on the same board: every write goes through the store's cross-process
 * lock.
 */
import { parseArgs } from 'node:util';
import { systemClock, type Clock } from '../domain/clock';
import type { SqlBoard } from '../store/sqlBoard';
import { AGENT_COMMANDS } from './agentCommands';
import { BOARD_COMMANDS } from './boardCommands';
import { editCommand } from './editCommand';
import { inboxCommand } from './inboxCommand';
import { autopilotCommand, statusCommand } from './loopCommands';
import { VERDICT_COMMANDS } from './verdictCommands';
import { findBoard, openFoundBoard, type CliEnvironment } from './boardAccess';
import { describeFailure, EXIT_OK, usage } from './cliError';
import type { Command, CommandContext } from './command';

const FOR_AGENTS: Command[] = [...AGENT_COMMANDS, ...VERDICT_COMMANDS, inboxCommand];
const FOR_PEOPLE: Command[] = [...BOARD_COMMANDS, editCommand, autopilotCommand, statusCommand];
const COMMANDS: Command[] = [...FOR_AGENTS, ...FOR_PEOPLE];

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface CliOptions extends CliEnvironment {
  io: CliIo;
  clock?: Clock;
}

/** Runs one command line; resolves with the exit code. Never throws. */
export async function runCli(argv: readonly string[], options: CliOptions): Promise<number> {
  const { io } = options;
  let board: SqlBoard | undefined;
  try {
    const [name, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      const topic = name === 'help' ? rest[0] : undefined;
      io.stdout(`${topic ? commandHelp(findCommand(topic)) : overallHelp()}\n`);
      return EXIT_OK;
    }
    const command = findCommand(name);
    const { values, positionals, tokens } = parseArgs({
      args: [...rest],
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
    if (values.help === true) {
      io.stdout(`${commandHelp(command)}\n`);
      return EXIT_OK;
    }
    const ctx: CommandContext = {
      positionals,
      values,
      options: tokens.flatMap((t) => (t.kind === 'option' ? [{ name: t.name, value: t.value }] : [])),
      where: { cwd: options.cwd, env: options.env },
      clock: options.clock ?? systemClock,
      print: (text) => io.stdout(`${text}\n`),
      warn: (text) => io.stderr(`agent-factory: ${text}\n`),
      board: async () => (board ??= await openFoundBoard(await findBoard(options), (line) => io.stderr(`agent-factory: ${line}\n`))),
    };
    await command.run(ctx);
    return EXIT_OK;
  } catch (err) {
    const { exitCode, message } = describeFailure(err);
    io.stderr(`agent-factory: ${message}\n`);
    return exitCode;
  } finally {
    await board?.close();
  }
}

function findCommand(name: string): Command {
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw usage(`unknown command ${JSON.stringify(name)}; run "agent-factory --help" for the list`);
  return command;
}

function overallHelp(): string {
  const line = (c: Command): string => `  ${c.synopsis.padEnd(56)} ${c.summary}`;
  return [
    'Usage: agent-factory <command> [arguments] [options]',
    '',
    'For a running agent (needs AGENT_FACTORY_RUN_ID, set by the runner):',
    ...FOR_AGENTS.map(line),
    '',
    'For people and scripts:',
    ...FOR_PEOPLE.map(line),
    '',
    'The board is the one in AGENT_FACTORY_BOARD, else the one of the git repository around the',
    'current directory (a linked worktree finds its main checkout). "agent-factory <command> --help"',
    'shows a command\'s options. Exit codes: 0 ok, 2 bad arguments, 3 not found (ticket, run, board),',
    '4 illegal move or conflict, 1 anything else.',
  ].join('\n');
}

function commandHelp(command: Command): string {
  const lines = [`Usage: agent-factory ${command.synopsis}`, '', command.summary];
  if (command.details?.length) lines.push('', ...command.details.map((d) => `  ${d}`));
  if (command.forAgents) lines.push('', 'Reads AGENT_FACTORY_RUN_ID and AGENT_FACTORY_BOARD from the environment the runner gives the agent.');
  return lines.join('\n');
}
