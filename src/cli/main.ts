// The `agent-factory` executable (bundled to dist/cli.js, the package's `bin`).
import { runCli } from './cli';

void runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  io: {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  },
}).then((code) => {
  process.exitCode = code;
});
