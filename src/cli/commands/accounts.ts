import readline from 'node:readline';
import type { Command } from 'commander';
import { StoreCallError, StoreClient, expectSuccess } from '../client.js';
import { collect, parseCount, storeCommand, UsageError, type CommandContext } from '../context.js';
import { forgetCredentials, readStoredCredentials, resolveConnection, storeCredentials, writeCredentialsFile, type Credentials } from '../credentials.js';
import { CliCreateTokenDocument, CliLoginDocument, CliLogoutDocument, CliRevokeTokenDocument, CliTokensDocument, CliWhoamiDocument, type CliTokensQuery } from '../generated.js';
import { orDash, table, type CliIo } from '../io.js';

interface LoginOptions {
  username?: string;
  passwordStdin?: boolean;
  export?: string;
  permission: string[];
  charm: string[];
  entity?: string[];
  channel: string[];
  ttl?: number;
  description?: string;
}

/** login, logout, whoami, tokens, revoke-token. */
export function addAccountCommands(program: Command, io: CliIo): void {
  storeCommand<LoginOptions>(
    program,
    io,
    'login',
    'Sign in with a password and keep the token in the config dir (0600), or with --export write a limited token to a file for CI.',
    (command) =>
      command
        .option('--username <name>', 'the account (default: CHARMSTORE_USERNAME, else asked)')
        .option('--password-stdin', 'read the password from standard input (default: CHARMSTORE_PASSWORD, else asked)')
        .option('--export <file>', 'write credentials for CHARMSTORE_AUTH to this file (0600) instead of logging in here')
        .option('--permission <permission>', 'with --export: limit the token to this permission (repeatable), e.g. package-manage-releases', collect, [])
        .option('--charm <url>', 'with --export: limit the token to this charm or bundle (repeatable)', collect, [])
        .option('--entity <url>', 'alias of --charm', collect)
        .option('--channel <channel>', 'with --export: limit releases and closes to this channel (repeatable)', collect, [])
        .option('--ttl <seconds>', 'with --export: the token lifetime in seconds', parseCount('--ttl'))
        .option('--description <text>', 'with --export: a note shown by `charmstore tokens`'),
    async (_args, options, context) => {
      const limited = options.permission.length + options.charm.length + (options.entity?.length ?? 0) + options.channel.length > 0 || options.ttl !== undefined;
      if (!options.export && (limited || options.description)) {
        throw new UsageError('--permission, --charm, --channel, --ttl and --description only go with --export FILE');
      }
      // Log in against the store the flags name; any token from the environment is not used for this.
      const { url } = await resolveConnection({ ...io.env, CHARMSTORE_AUTH: undefined }, (options as { url?: string }).url);
      const username = options.username ?? io.env.CHARMSTORE_USERNAME ?? (await prompt(io, 'Username: ', false));
      const password = options.passwordStdin ? (await readAll(io.stdin)).replace(/\r?\n$/, '') : (io.env.CHARMSTORE_PASSWORD ?? (await prompt(io, 'Password: ', true)));
      const anonymous = new StoreClient(url, undefined);
      const login = expectSuccess((await anonymous.execute(CliLoginDocument, { input: { username, password } })).login, 'LoginSuccess');

      if (!options.export) {
        const credentials: Credentials = { url, token: login.token, username: login.viewer.user.username, expiresAt: login.viewer.expiresAt ?? null };
        const file = await storeCredentials(io.env, credentials);
        context.print.result({ username: credentials.username, url, expiresAt: credentials.expiresAt, credentials: file }, () => `Logged in to ${url} as ${credentials.username}.`);
        return;
      }

      const entities = [...options.charm, ...(options.entity ?? [])];
      // Like `charmcraft login --export`: the password session only mints the limited token, then ends.
      const session = new StoreClient(url, login.token);
      try {
        const created = expectSuccess(
          (
            await session.execute(CliCreateTokenDocument, {
              input: {
                permissions: options.permission.length ? options.permission : undefined,
                entities: entities.length ? entities : undefined,
                channels: options.channel.length ? options.channel : undefined,
                ttlSeconds: options.ttl,
                description: options.description ?? `charmstore login --export ${options.export}`,
              },
            })
          ).createToken,
          'CreateTokenSuccess',
        );
        const credentials: Credentials = {
          url,
          token: created.token,
          username: login.viewer.user.username,
          expiresAt: created.expiresAt ?? null,
          permissions: created.accessToken.permissions,
          entities: created.accessToken.entities,
          channels: created.accessToken.channels,
        };
        await writeCredentialsFile(options.export, credentials);
        const { token: _token, ...shown } = credentials;
        context.print.result({ ...shown, file: options.export }, () =>
          [
            `Credentials for ${credentials.username} on ${url} written to ${options.export}; use them with`,
            `  CHARMSTORE_AUTH="$(cat ${options.export})" charmstore ...`,
            `Expires: ${orDash(credentials.expiresAt)}`,
          ].join('\n'),
        );
      } finally {
        await session.execute(CliLogoutDocument, { input: {} }).catch(() => undefined);
      }
    },
  );

  storeCommand<{ all?: boolean }>(
    program,
    io,
    'logout',
    'Revoke the stored token on the store and forget it (--all: every token of yours).',
    (command) => command.option('--all', 'revoke every token of your account'),
    async (_args, options, context) => {
      const stored = await readStoredCredentials(io.env);
      const store = await context.client();
      let revoked = 0;
      if (store.signedIn) {
        const result = (await store.execute(CliLogoutDocument, { input: { all: options.all ?? false } })).logout;
        // A token the store no longer knows (expired, revoked) is forgotten all the same.
        if (result.__typename === 'LogoutSuccess') revoked = result.count;
        else if (result.__typename !== 'AuthenticationError') throw new StoreCallError(result.message, result.__typename);
      }
      if (stored) await forgetCredentials(io.env);
      context.print.result({ revoked, forgotten: stored !== undefined }, () =>
        stored || store.signedIn ? `Logged out (${revoked} token${revoked === 1 ? '' : 's'} revoked).` : 'Not logged in.',
      );
    },
  );

  storeCommand(
    program,
    io,
    'whoami',
    'Show who the token in use belongs to, your groups and the token limits.',
    (command) => command,
    async (_args, _options, context) => {
      const store = await context.signedInClient();
      const { viewer } = await store.execute(CliWhoamiDocument, {});
      if (!viewer) throw new StoreCallError(`Not logged in to ${store.url}: run \`charmstore login\``, 'AuthenticationError');
      context.print.result({ url: store.url, ...viewer }, () =>
        table(
          ['Field', 'Value'],
          [
            ['store', store.url],
            ['username', viewer.user.username + (viewer.user.isAdmin ? ' (admin)' : '')],
            ['groups', orDash(viewer.groups.map((group) => group.name).join(', '))],
            ['permissions', viewer.permissions.length ? viewer.permissions.join(', ') : 'all of yours'],
            ['charms', viewer.entities.length ? viewer.entities.join(', ') : 'all'],
            ['channels', viewer.channels.length ? viewer.channels.join(', ') : 'all'],
            ['expires', orDash(viewer.expiresAt)],
          ],
        ),
      );
    },
  );

  storeCommand(
    program,
    io,
    'tokens',
    'List your live tokens (a limited token sees only itself).',
    (command) => command,
    async (_args, _options, context) => {
      const store = await context.signedInClient();
      const tokens: NonNullable<CliTokensQuery['viewer']>['tokens']['edges'][number]['node'][] = [];
      let after: string | null | undefined;
      do {
        const { viewer } = await store.execute(CliTokensDocument, { first: 100, after });
        if (!viewer) break;
        tokens.push(...viewer.tokens.edges.map((edge) => edge.node));
        after = viewer.tokens.pageInfo.hasNextPage ? viewer.tokens.pageInfo.endCursor : undefined;
      } while (after);
      context.print.result(tokens, () =>
        table(
          ['Id', 'Description', 'Permissions', 'Charms', 'Channels', 'Expires', 'Last used'],
          tokens.map((token) => [
            token.id + (token.current ? ' *' : ''),
            orDash(token.description),
            token.permissions.length ? token.permissions.join(', ') : 'all',
            token.entities.length ? token.entities.join(', ') : 'all',
            token.channels.length ? token.channels.join(', ') : 'all',
            token.expiresAt,
            orDash(token.lastUsedAt),
          ]),
        ),
      );
    },
  );

  storeCommand(
    program,
    io,
    'revoke-token <id>',
    'Revoke one of your tokens by id (see `charmstore tokens`).',
    (command) => command,
    async ([id], _options, context) => {
      const store = await context.signedInClient();
      const result = expectSuccess((await store.execute(CliRevokeTokenDocument, { input: { id: id! } })).revokeToken, 'RevokeTokenSuccess');
      context.print.result({ revoked: result.id }, () => `Token ${result.id} revoked.`);
    },
  );
}

/** Asks on the terminal; refuses (usage error) when there is none to ask on. */
async function prompt(io: CliIo, question: string, secret: boolean): Promise<string> {
  if (!io.stdin.isTTY) {
    throw new UsageError(
      `${question.replace(/: $/, '')} needed: pass ${secret ? '--password-stdin or set CHARMSTORE_PASSWORD' : '--username or set CHARMSTORE_USERNAME'} (no terminal to ask on)`,
    );
  }
  const rl = readline.createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  if (secret) {
    // Echo nothing while the password is typed.
    const internal = rl as unknown as { _writeToOutput: (text: string) => void };
    internal._writeToOutput = (text: string) => {
      if (text === question) io.stderr.write(text);
    };
  }
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    rl.close();
    if (secret) io.stderr.write('\n');
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
