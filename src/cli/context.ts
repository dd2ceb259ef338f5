import { Command, Option } from 'commander';
import { StoreCallError, StoreClient } from './client.js';
import { resolveConnection } from './credentials.js';
import { Printer, type CliIo, type Format } from './io.js';

/** Wrong arguments (exit code 2), found after commander's own checks. */
export class UsageError extends Error {}

/** What every command's action gets besides its arguments. */
export interface CommandContext {
  io: CliIo;
  print: Printer;
  /** A client for the store the flags and environment name, with the token in force (if any). */
  client(): Promise<StoreClient>;
  /** Like client(), but refuses to go on anonymously. */
  signedInClient(): Promise<StoreClient>;
}

interface CommonOptions {
  format: Format;
  url?: string;
}

/**
 * Adds a store command: the shared `--format` and `--url` options, and an
 * action that gets its positional arguments, its options and a context.
 */
export function storeCommand<O extends object>(
  program: Command,
  io: CliIo,
  usage: string,
  description: string,
  configure: (command: Command) => Command,
  action: (args: string[], options: O, context: CommandContext) => Promise<void>,
): Command {
  const command = program
    .command(usage)
    .description(description)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--url <url>', 'the store address (default: CHARMSTORE_URL, the logged-in store, http://127.0.0.1:4000)');
  configure(command);
  command.action(async (...received: unknown[]) => {
    // commander passes the positional arguments, then the options, then the command.
    const self = received[received.length - 1] as Command;
    const options = self.opts<O & CommonOptions>();
    const args = received.slice(0, self.registeredArguments.length).flatMap((value) =>
      value === undefined ? [] : Array.isArray(value) ? (value as string[]) : [value as string],
    );
    const client = async () => {
      const connection = await resolveConnection(io.env, options.url);
      return new StoreClient(connection.url, connection.token);
    };
    const context: CommandContext = {
      io,
      print: new Printer(io, options.format),
      client,
      signedInClient: async () => {
        const store = await client();
        if (!store.signedIn) throw new StoreCallError(`Not logged in to ${store.url}: run \`charmstore login\` or set CHARMSTORE_AUTH`, 'AuthenticationError');
        return store;
      },
    };
    await action(args, options, context);
  });
  return command;
}

/** For repeatable options: `--channel edge --channel beta` gives ["edge", "beta"]. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Parses a non-negative integer argument, or fails as a usage error naming the option. */
export function parseCount(what: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value)) throw new UsageError(`${what} must be a whole number, not "${value}"`);
    return Number(value);
  };
}
