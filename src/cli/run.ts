import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { StoreCallError } from './client.js';
import { addAccountCommands } from './commands/accounts.js';
import { addChannelCommands } from './commands/channels.js';
import { addEntityCommands } from './commands/entities.js';
import { addPushCommands } from './commands/push.js';
import { UsageError } from './context.js';
import type { CliIo } from './io.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** Exit codes: 0 done, 1 the store refused or could not be reached, 2 wrong usage. */
export const EXIT_OK = 0;
export const EXIT_STORE_ERROR = 1;
export const EXIT_USAGE = 2;

/**
 * Runs one `charmstore` command line and resolves with its exit code. The
 * process (environment, streams) is injected, so tests run the CLI in-process.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = new Command('charmstore')
    .description('Publish charms and bundles to a charm store: push, release, share, inspect.')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
  addAccountCommands(program, io);
  addPushCommands(program, io);
  addChannelCommands(program, io);
  addEntityCommands(program, io);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version "exit" with 0; every parsing complaint is a usage error.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      io.stderr.write(`error: ${error.message}\n`);
      return EXIT_USAGE;
    }
    const json = argv.includes('--format=json') || argv.some((arg, index) => arg === '--format' && argv[index + 1] === 'json');
    const message = error instanceof Error ? error.message : String(error);
    const type = error instanceof StoreCallError ? error.type : undefined;
    const field = error instanceof StoreCallError ? error.field : undefined;
    io.stderr.write(`error: ${type ? `${type}: ` : ''}${message}\n`);
    if (json) io.stdout.write(`${JSON.stringify({ error: { type: type ?? null, message, field: field ?? null } }, null, 2)}\n`);
    return EXIT_STORE_ERROR;
  }
}
