import type { Command } from 'commander';
import { expectSuccess, StoreCallError, type StoreClient } from '../client.js';
import { collect, parseCount, storeCommand, UsageError } from '../context.js';
import {
  CliCloseChannelsDocument,
  CliCreateTrackDocument,
  CliPromoteDocument,
  CliDownloadsDocument,
  type CliDownloadsFragment,
  CliReleaseDocument,
  CliResolveDocument,
  CliSetDefaultTrackDocument,
  CliStatusDocument,
  type CliReleaseFragment,
  type ResourcePinInput,
} from '../generated.js';
import { orDash, table, type CliIo } from '../io.js';

/** release, promote, close, status, create-track, set-default-track, resolve. */
export function addChannelCommands(program: Command, io: CliIo): void {
  storeCommand<{ channel: string[]; resource: string[]; revision?: number }>(
    program,
    io,
    'release <url>',
    'Release a revision (cs:~kirk/foo-9, or --revision) to channels, all or none, with resource revisions pinned.',
    (command) =>
      command
        .requiredOption('--channel <channel>', 'a channel to release to, e.g. stable, 2.0/edge, latest/edge/fix-1 (repeatable)', collect, [])
        .option('--resource <name:revision>', 'release this resource revision with it (repeatable; others get their newest)', collect, [])
        .option('--revision <number>', 'the revision, when the url has none', parseCount('--revision')),
    async ([url], options, context) => {
      if (!options.channel.length) throw new UsageError('Give at least one --channel');
      const store = await context.client();
      const resources = options.resource.map(parsePin);
      const { releases } = expectSuccess(
        (await store.execute(CliReleaseDocument, { input: { url: url!, revision: options.revision, channels: options.channel, resources } })).release,
        'ReleaseSuccess',
      );
      context.print.result({ releases }, () => describeReleases(releases[0]?.revision?.url ?? url!, releases));
    },
  );

  storeCommand<{ from: string; to: string[] }>(
    program,
    io,
    'promote <url>',
    'Release what one channel serves (revision and resource revisions) to other channels, e.g. --from edge --to beta.',
    (command) =>
      command
        .requiredOption('--from <channel>', 'the channel whose revision to promote (after fall-back: what a deploy from it gets)')
        .requiredOption('--to <channel>', 'a channel to release it to (repeatable)', collect, []),
    async ([url], options, context) => {
      const store = await context.client();
      const { from, releases } = expectSuccess(
        (await store.execute(CliPromoteDocument, { input: { url: url!, from: options.from, to: options.to } })).promote,
        'PromoteSuccess',
      );
      context.print.result({ from, releases }, () => `From ${from}: ${describeReleases(releases[0]?.revision?.url ?? url!, releases)}`);
    },
  );

  storeCommand(
    program,
    io,
    'close <url> <channels...>',
    'Close channels (all or none): a closed risk falls back to the next more stable one.',
    (command) => command,
    async ([url, ...channels], _options, context) => {
      const store = await context.client();
      const { entity } = expectSuccess((await store.execute(CliCloseChannelsDocument, { input: { url: url!, channels } })).closeChannels, 'CloseChannelsSuccess');
      context.print.result({ url: entity.url, closed: channels }, () => `Closed ${channels.join(', ')} of ${entity.url}.`);
    },
  );

  storeCommand<{ history?: number | true; metrics?: number | true }>(
    program,
    io,
    'status <url>',
    'Show the channel map: per track, what each channel serves and its resources (--history: the releases too; --metrics: downloads).',
    (command) =>
      command
        .option('--history [count]', 'also list the latest releases of each channel (default 10)', parseCount('--history'))
        .option('--metrics [days]', `also show downloads per channel, revision and day over the last days (default ${DEFAULT_METRICS_DAYS}; owners and admins)`, parseCount('--metrics')),
    async ([url], options, context) => {
      const store = await context.client();
      const downloads = options.metrics === undefined ? undefined : await fetchDownloads(store, url!, options.metrics === true ? DEFAULT_METRICS_DAYS : options.metrics);
      const historyCount = options.history === undefined ? 1 : options.history === true ? 10 : options.history;
      const { entity } = await store.execute(CliStatusDocument, { url: url!, history: historyCount });
      if (!entity) throw new StoreCallError(`No charm or bundle ${url} (or it is not visible to you)`, 'NotFoundError');
      // Several platforms (bases x architectures): one block of channels per platform, with a Base column, like charmcraft.
      const perBase = entity.tracks.some((track) => (track.channels[0]?.bases.length ?? 0) > 1);
      const rows: string[][] = [];
      for (const track of entity.tracks) {
        const trackName = track.name + (track.isDefault ? ' (default)' : '');
        if (!perBase) {
          track.channels.forEach((channel, index) => {
            const latest = channel.history.edges[0]?.node;
            const open = channel.revision !== null && channel.revision !== undefined;
            // Like charmcraft: ↑ = served by the more stable channel above, - = serves nothing.
            const fallback = channel.follows ? '↑' : '-';
            rows.push([
              index === 0 ? trackName : '',
              channelText(channel),
              open ? String(channel.revision!.number) : fallback,
              open && latest?.action === 'RELEASE' ? orDash(latest.resources.map(pinText).join(', ')) : open ? '-' : fallback,
              orDash(channel.expiresAt),
            ]);
          });
          continue;
        }
        const platforms = track.channels[0]?.bases.map((entry) => entry.base) ?? [];
        platforms.forEach((base, platformIndex) => {
          track.channels.forEach((channel, index) => {
            const entry = channel.bases[platformIndex];
            const open = entry?.revision !== null && entry?.revision !== undefined;
            const fallback = entry?.follows ? '↑' : '-';
            rows.push([
              index === 0 && platformIndex === 0 ? trackName : '',
              index === 0 ? baseText(base) : '',
              channelText(channel),
              open ? String(entry!.revision!.number) : fallback,
              open ? orDash(entry!.resources.map(pinText).join(', ')) : fallback,
              orDash(channel.expiresAt),
            ]);
          });
        });
      }
      const history = options.history === undefined ? [] : entity.tracks.flatMap((track) => track.channels.flatMap((channel) => channel.history.edges.map((edge) => edge.node)));
      history.sort((a, b) => b.releasedAt.localeCompare(a.releasedAt));
      context.print.result({ ...statusJson(entity, options.history !== undefined), ...(downloads ? { downloads } : {}) }, () =>
        [
          table(perBase ? ['Track', 'Base', 'Channel', 'Revision', 'Resources', 'Expires at'] : ['Track', 'Channel', 'Revision', 'Resources', 'Expires at'], rows),
          ...(options.history === undefined
            ? []
            : [
                '',
                table(
                  ['Released at', 'Channel', 'Action', 'Revision', 'Resources', 'By'],
                  history.map((release) => [
                    release.releasedAt,
                    release.channel,
                    release.action.toLowerCase(),
                    orDash(release.revision?.number),
                    orDash(release.resources.map(pinText).join(', ')),
                    release.releasedBy,
                  ]),
                ),
              ]),
          ...(downloads ? ['', downloadsText(downloads)] : []),
        ].join('\n'),
      );
    },
  );

  storeCommand(
    program,
    io,
    'create-track <url> <track>',
    'Add a track (owners and admins; writers when the name matches the track guardrail).',
    (command) => command,
    async ([url, track], _options, context) => {
      const store = await context.client();
      const { entity } = expectSuccess((await store.execute(CliCreateTrackDocument, { input: { url: url!, name: track! } })).createTrack, 'CreateTrackSuccess');
      context.print.result(entity, () => `Track ${track} created on ${entity.url}; tracks: ${entity.tracks.map((t) => t.name).join(', ')}.`);
    },
  );

  storeCommand(
    program,
    io,
    'set-default-track <url> <track>',
    'Make a track the default (a bare "edge" then means "<track>/edge").',
    (command) => command,
    async ([url, track], _options, context) => {
      const store = await context.client();
      const { entity } = expectSuccess(
        (await store.execute(CliSetDefaultTrackDocument, { input: { url: url!, track: track! } })).setDefaultTrack,
        'SetDefaultTrackSuccess',
      );
      context.print.result(entity, () => `The default track of ${entity.url} is now ${entity.defaultTrack}.`);
    },
  );

  storeCommand<{ channel?: string; currentRevision?: number; base?: { name: string; channel: string; architecture: string } }>(
    program,
    io,
    'resolve <url>',
    'Show what a deploy (or, with --current-revision, a refresh) from a channel gets.',
    (command) =>
      command
        .option('--channel <channel>', 'the channel (default: the default track\'s stable)')
        .option('--current-revision <number>', 'the revision deployed now: says UPGRADE or DOWNGRADE', parseCount('--current-revision'))
        .option('--base <name@channel:architecture>', 'the platform to serve, e.g. ubuntu@22.04:arm64 (default: the revision released last; for a url with a series, that series\' base)', parseBase),
    async ([url], options, context) => {
      const store = await context.client();
      const variables = { url: url!, channel: options.channel, currentRevision: options.currentRevision, base: options.base };
      const resolved = (await store.execute(CliResolveDocument, variables)).resolve;
      const { __typename: _type, ...resolution } = expectSuccess(resolved, 'Resolution');
      context.print.result(resolution, () =>
        table(
          ['Field', 'Value'],
          [
            ['revision', resolution.revision.url],
            ['channel', resolution.channel + (resolution.channel === resolution.requestedChannel ? '' : ` (asked: ${resolution.requestedChannel})`)],
            ['resources', orDash(resolution.resources.map(pinText).join(', '))],
            ['action', resolution.action.toLowerCase()],
            ['download', resolution.revision.downloadUrl],
          ],
        ),
      );
    },
  );
}

/** charmcraft's platform shorthand "ubuntu@22.04:arm64"; the store checks the parts. */
function parseBase(text: string): { name: string; channel: string; architecture: string } {
  const match = /^([^@:]+)@([^@:]+):([^@:]+)$/.exec(text);
  if (!match) throw new UsageError(`--base takes <name>@<channel>:<architecture>, e.g. ubuntu@22.04:arm64 (got "${text}")`);
  return { name: match[1]!, channel: match[2]!, architecture: match[3]! };
}

/** "Released cs:~kirk/foo-3 to latest/stable, latest/candidate." */
export function describeReleases(revisionUrl: string, releases: CliReleaseFragment[]): string {
  const resources = releases[0]?.resources.map(pinText).join(', ');
  return `Released ${revisionUrl} to ${releases.map((release) => release.channel).join(', ')}${resources ? ` with ${resources}` : ''}.`;
}

/** "config:2" -> {name: "config", revision: 2}. */
function parsePin(value: string): ResourcePinInput {
  const match = /^(.+):(\d+)$/.exec(value);
  if (!match) throw new UsageError(`--resource takes name:revision, e.g. --resource config:2 (got "${value}")`);
  return { name: match[1]!, revision: Number(match[2]) };
}

function pinText(resource: { name: string; revision: number }): string {
  return `${resource.name}:${resource.revision}`;
}

/**
 * The status as JSON: each channel with the resource revisions its pointer
 * was released with, and its history only when asked for.
 */
function channelText(channel: { risk: string; branch?: string | null }): string {
  return channel.branch ? `${channel.risk.toLowerCase()}/${channel.branch}` : channel.risk.toLowerCase();
}

/** "ubuntu 22.04 (amd64)"; "any" for the entry of revisions declaring no base (bundles). */
function baseText(base: { name: string; channel: string; architectures: string[] } | null | undefined): string {
  return base ? `${base.name} ${base.channel} (${base.architectures.join(', ')})` : 'any';
}

function statusJson<C extends { revision?: unknown; history: { edges: Array<{ node: CliReleaseFragment }> } }, T extends { tracks: Array<{ channels: C[] }> }>(
  entity: T,
  withHistory: boolean,
) {
  return {
    ...entity,
    tracks: entity.tracks.map((track) => ({
      ...track,
      channels: track.channels.map(({ history, ...channel }) => {
        const latest = history.edges[0]?.node;
        const resources = channel.revision && latest?.action === 'RELEASE' ? latest.resources : [];
        return { ...channel, resources, ...(withHistory ? { history: history.edges.map((edge) => edge.node) } : {}) };
      }),
    })),
  };
}

/** What `status --metrics` covers unless told: the last 30 days, today included. */
const DEFAULT_METRICS_DAYS = 30;

interface DownloadsReport {
  from: string;
  to: string;
  byChannel: Array<{ key: string; count: number }>;
  byRevision: Array<{ key: string; count: number }>;
  byDay: Array<{ key: string; count: number }>;
}

/** The download counts of the last `days` days (UTC), or the store's refusal as an error. */
async function fetchDownloads(store: StoreClient, url: string, days: number): Promise<DownloadsReport> {
  const to = new Date();
  const from = new Date(to.getTime() - (days - 1) * 86_400_000);
  const range = { from: from.toISOString().slice(0, 10), to: to.toISOString().slice(0, 10) };
  const { entity } = await store.execute(CliDownloadsDocument, { url, ...range });
  if (!entity) throw new StoreCallError(`No charm or bundle ${url} (or it is not visible to you)`, 'NotFoundError');
  const rows = (result: CliDownloadsFragment) => {
    if (result.__typename !== 'DownloadStatistics') throw new StoreCallError(result.message, result.__typename);
    return result.rows.map(({ key, count }) => ({ key, count }));
  };
  return { ...range, byChannel: rows(entity.byChannel), byRevision: rows(entity.byRevision), byDay: rows(entity.byDay) };
}

function downloadsText(report: DownloadsReport): string {
  const total = report.byDay.reduce((sum, row) => sum + row.count, 0);
  return [
    `Downloads from ${report.from} to ${report.to} (UTC): ${total}`,
    table(['Channel', 'Downloads'], report.byChannel.map((row) => [row.key || '(none)', String(row.count)])),
    table(['Revision', 'Downloads'], report.byRevision.map((row) => [row.key, String(row.count)])),
    table(['Day', 'Downloads'], report.byDay.map((row) => [row.key, String(row.count)])),
  ].join('\n');
}
