// Placeholder entry until the CLI lands; keeps the build's second bundle honest.
process.stderr.write('agent-factory: the command-line interface is not available in this build\n');
process.exitCode = 2;
