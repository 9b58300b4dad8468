/**
 * The masking log writer (bundled as dist/logWriter.js; run as `node logWriter.js <log file>
 * <max bytes>`): a small process between an agent's output and its run log. The agent's stdout and
 * stderr are the write end of this process's stdin; every line is masked (logMasker.ts) before it
 * reaches the file, which it keeps to its cap, and is echoed on stdout for the owner's output
 * channel. It runs in a session of its own, so it outlives a crashed owner as the agent does, and
 * it ends when the last process holding the agent's output closes it. Signals do not end it
 * before that: it would take the agent's last words with it, or break the agent's pipe.
 */
import { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { CappedLogFile } from './cappedLogFile';
import { LogMasker } from './logMasker';

/** Echoed output the owner has not read yet, beyond which echoing pauses (the file has it all). */
const MAX_ECHO_BACKLOG = 1024 * 1024;
/** How long the echo may take to drain once the output ended. */
const ECHO_DRAIN_MS = 2000;

function main(args: readonly string[]): void {
  const [file, max] = args;
  const maxBytes = Number(max);
  if (!file || !Number.isFinite(maxBytes) || maxBytes <= 0) {
    process.stderr.write('usage: logWriter.js <log file> <max bytes>\n');
    process.exit(2);
  }
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => undefined);

  const log = new CappedLogFile(file, maxBytes);
  const masker = new LogMasker();
  const decoder = new StringDecoder('utf8');
  // A socket of its own over fd 1 writes without blocking: a frozen owner that reads nothing
  // must not stall the agent behind a full pipe.
  let echo = echoSocket();
  echo?.on('error', () => {
    echo?.destroy();
    echo = undefined;
  });
  const write = (text: string): void => {
    if (text === '') return;
    log.write(Buffer.from(text, 'utf8'));
    if (echo && echo.writableLength < MAX_ECHO_BACKLOG) echo.write(text);
  };

  process.stdin.on('data', (chunk: Buffer) => write(masker.push(decoder.write(chunk))));
  process.stdin.on('error', () => undefined);
  process.stdin.on('close', () => {
    write(masker.push(decoder.end()));
    write(masker.flush());
    log.close();
    if (!echo) process.exit(0);
    echo.end(() => process.exit(0));
    // An owner that reads nothing (frozen) does not hold this process: the file is complete.
    setTimeout(() => process.exit(0), ECHO_DRAIN_MS).unref();
  });
}

/** A socket over fd 1 when it is a pipe (the owner's), else none. */
function echoSocket(): Socket | undefined {
  try {
    return new Socket({ fd: 1, readable: false, writable: true });
  } catch {
    return undefined;
  }
}

main(process.argv.slice(2));
