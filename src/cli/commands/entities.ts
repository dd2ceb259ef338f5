import { Option, type Command } from 'commander';
import { expectSuccess, StoreCallError } from '../client.js';
import { parseCount, storeCommand, UsageError } from '../context.js';
import {
  CliGrantDocument,
  CliRegisterNameDocument,
  CliResourceRevisionsDocument,
  CliResourcesDocument,
  CliRevisionsDocument,
  CliRevokeDocument,
  CliSetAclDocument,
  CliUnregisterNameDocument,
  type AclKind,
  type CliAclFragment,
  type CliRevisionsQuery,
} from '../generated.js';
import { orDash, table, type CliIo } from '../io.js';

/** revisions, resources, resource-revisions, grant, revoke, set-acl, register, unregister. */
export function addEntityCommands(program: Command, io: CliIo): void {
  storeCommand<{ limit: number }>(
    program,
    io,
    'revisions <url>',
    'List the revisions of a charm or bundle, newest first, with the channels each is released to.',
    (command) => command.option('--limit <count>', 'at most this many (newest first)', parseCount('--limit'), 50),
    async ([url], options, context) => {
      const store = await context.client();
      const revisions: NonNullable<CliRevisionsQuery['entity']>['revisions']['edges'][number]['node'][] = [];
      let after: string | null | undefined;
      // Pages of at most 100 (the store's page limit) until --limit or the oldest revision.
      do {
        const { entity } = await store.execute(CliRevisionsDocument, { url: url!, first: Math.min(options.limit - revisions.length, 100), after });
        if (!entity) throw notFound(url!);
        revisions.push(...entity.revisions.edges.map((edge) => edge.node));
        after = entity.revisions.pageInfo.hasNextPage ? entity.revisions.pageInfo.endCursor : undefined;
      } while (after && revisions.length < options.limit);
      context.print.result(revisions, () =>
        table(
          ['Revision', 'Created at', 'Created by', 'Size', 'Series', 'Channels'],
          revisions.map((revision) => [revision.number, revision.createdAt, revision.createdBy, revision.size, orDash(revision.series.join(', ')), orDash(revision.channels.join(', '))]),
        ),
      );
    },
  );

  storeCommand(
    program,
    io,
    'resources <url>',
    'List the resources a charm declares, with their newest revision.',
    (command) => command,
    async ([url], _options, context) => {
      const store = await context.client();
      const { entity } = await store.execute(CliResourcesDocument, { url: url! });
      if (!entity) throw notFound(url!);
      const resources = entity.resources.map(({ revisions, ...resource }) => ({ ...resource, latestRevision: revisions.edges[0]?.node.revision ?? null }));
      context.print.result(resources, () =>
        table(
          ['Resource', 'Type', 'Latest revision', 'Description'],
          resources.map((resource) => [resource.name, resource.type, orDash(resource.latestRevision), orDash(resource.description)]),
        ),
      );
    },
  );

  storeCommand<{ limit: number }>(
    program,
    io,
    'resource-revisions <url> <resource>',
    'List the revisions of one resource, newest first.',
    (command) => command.option('--limit <count>', 'at most this many (newest first)', parseCount('--limit'), 50),
    async ([url, name], options, context) => {
      const store = await context.client();
      const { entity } = await store.execute(CliResourceRevisionsDocument, { url: url!, first: Math.min(options.limit, 100) });
      if (!entity) throw notFound(url!);
      const resource = entity.resources.find((candidate) => candidate.name === name);
      if (!resource) throw new StoreCallError(`${entity.url} declares no resource "${name}" (see \`charmstore resources ${url}\`)`, 'NotFoundError');
      const revisions = resource.revisions.edges.map((edge) => edge.node);
      context.print.result(revisions, () =>
        table(
          ['Revision', 'Created at', 'Created by', 'Size', 'SHA-384'],
          revisions.map((revision) => [revision.revision, revision.createdAt, revision.createdBy, revision.size, revision.sha384]),
        ),
      );
    },
  );

  const aclOption = () => new Option('--acl <acl>', 'the read or write list').choices(['read', 'write']);

  storeCommand<{ channel: string; acl?: string }>(
    program,
    io,
    'grant <url> <principals...>',
    'Add users, groups or "everyone" to a read (default) or write list, like `charm grant`.',
    (command) => command.option('--channel <channel>', 'unpublished, a risk, or track/risk', 'stable').addOption(aclOption()),
    async ([url, ...principals], options, context) => {
      const store = await context.client();
      const { entity } = expectSuccess(
        (await store.execute(CliGrantDocument, { input: { url: url!, principals, channel: options.channel, acl: aclKind(options.acl) } })).grant,
        'GrantSuccess',
      );
      context.print.result(entity, () => aclTable(entity));
    },
  );

  storeCommand<{ channel: string; acl?: string }>(
    program,
    io,
    'revoke <url> <principals...>',
    'Remove principals from a read or write list (both when --acl is not given); no list may become empty.',
    (command) => command.option('--channel <channel>', 'unpublished, a risk, or track/risk', 'stable').addOption(aclOption()),
    async ([url, ...principals], options, context) => {
      const store = await context.client();
      const { entity } = expectSuccess(
        (await store.execute(CliRevokeDocument, { input: { url: url!, principals, channel: options.channel, acl: aclKind(options.acl) } })).revoke,
        'RevokeSuccess',
      );
      context.print.result(entity, () => aclTable(entity));
    },
  );

  storeCommand<{ channel: string; acl: string }>(
    program,
    io,
    'set-acl <url> <principals...>',
    'Replace one read or write list of a channel with the given principals.',
    (command) =>
      command.requiredOption('--channel <channel>', 'unpublished, a risk, or track/risk').addOption(aclOption().makeOptionMandatory()),
    async ([url, ...principals], options, context) => {
      const store = await context.client();
      const { entity } = expectSuccess(
        (await store.execute(CliSetAclDocument, { input: { url: url!, principals, channel: options.channel, acl: aclKind(options.acl)! } })).setAcl,
        'SetAclSuccess',
      );
      context.print.result(entity, () => aclTable(entity));
    },
  );

  storeCommand<{ owner?: string; bundle?: boolean; public?: boolean }>(
    program,
    io,
    'register <name>',
    'Claim a top-level name and create the entity ~owner/name for it (private unless --public).',
    (command) =>
      command
        .option('--owner <owner>', 'a group of yours to own it (default: you)')
        .option('--bundle', 'register a bundle name (default: a charm)')
        .option('--public', 'make it public at once (default: private)'),
    async ([name], options, context) => {
      const store = await context.client();
      const { entity } = expectSuccess(
        (
          await store.execute(CliRegisterNameDocument, {
            input: { name: name!, owner: options.owner, kind: options.bundle ? 'BUNDLE' : 'CHARM', private: !options.public },
          })
        ).registerName,
        'RegisterNameSuccess',
      );
      context.print.result(entity, () => `Registered ${name}: ${entity.url} (${entity.private ? 'private' : 'public'}).`);
    },
  );

  storeCommand(
    program,
    io,
    'unregister <name>',
    'Give a registered name back; its entity must have no revisions.',
    (command) => command,
    async ([name], _options, context) => {
      const store = await context.client();
      const result = expectSuccess((await store.execute(CliUnregisterNameDocument, { input: { name: name! } })).unregisterName, 'UnregisterNameSuccess');
      context.print.result({ name: result.name }, () => `Unregistered ${result.name}.`);
    },
  );
}

function notFound(url: string): StoreCallError {
  return new StoreCallError(`No charm or bundle ${url} (or it is not visible to you)`, 'NotFoundError');
}

function aclKind(value: string | undefined): AclKind | undefined {
  if (value === undefined) return undefined;
  if (value !== 'read' && value !== 'write') throw new UsageError(`--acl is read or write, not "${value}"`);
  return value === 'read' ? 'READ' : 'WRITE';
}

function aclTable(entity: CliAclFragment): string {
  return [
    `${entity.url} (${entity.private ? 'private' : 'public'})`,
    table(
      ['Channel', 'Read', 'Write'],
      entity.acl.map((entry) => [entry.channel, orDash(entry.read.join(', ')), orDash(entry.write.join(', '))]),
    ),
  ].join('\n');
}
