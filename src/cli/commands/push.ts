import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { expectSuccess, type StoreClient } from '../client.js';
import { collect, storeCommand, UsageError, type CommandContext } from '../context.js';
import { CliPushDocument, CliPushResourceDocument, CliReleaseDocument, type CliReleaseFragment } from '../generated.js';
import type { CliIo } from '../io.js';
import { zipDirectory } from '../zip-directory.js';
import { describeReleases } from './channels.js';

/**
 * Content up to this size goes in the GraphQL multipart request itself
 * (which the store holds in memory); bigger content is streamed through
 * `POST /uploads` first, with a progress bar. CHARMSTORE_UPLOAD_THRESHOLD overrides it.
 */
export const DEFAULT_UPLOAD_THRESHOLD_BYTES = 16 * 1024 * 1024;

interface ProgressOptions {
  /** true: always draw; false: never; undefined: when stderr is a terminal. */
  progress?: boolean;
}

interface PushOptions extends ProgressOptions {
  resource: string[];
  release: string[];
}

/** push, push-resource. */
export function addPushCommands(program: Command, io: CliIo): void {
  storeCommand<PushOptions>(
    program,
    io,
    'push [source] [url]',
    'Push a charm or bundle (a directory, zipped like `charm push .`, or a zip file; default ".") as a new revision; optionally push resources and release it in one step.',
    (command) =>
      withProgressOptions(command)
        .option('--resource <name=path>', 'also push this resource file and release it with the revision (repeatable)', collect, [])
        .option('--release <channel>', 'release the new revision (with the resources pushed) to this channel (repeatable)', collect, []),
    async ([source = '.', url], options, context) => {
      const resources = options.resource.map(parseResourceFile);
      const store = await context.client();
      await withArchive(source, async (archive) => {
        const content = await sendContent(store, archive, `archive`, options, context);
        const pushed = expectSuccess(
          (
            'uploadId' in content
              ? await store.execute(CliPushDocument, { input: { uploadId: content.uploadId, url } })
              : await store.executeMultipart(CliPushDocument, { input: { archive: null, url } }, { 'input.archive': content.file })
          ).push,
          'PushSuccess',
        );
        const revision = pushed.revision;
        context.print.note(`${pushed.duplicate ? 'Unchanged, already' : 'Pushed'} ${revision.url} (${revision.size} bytes)`);

        const pushedResources = [];
        for (const resource of resources) {
          const result = await pushResource(store, revision.entity.url, resource.name, resource.path, options, context);
          context.print.note(`${result.duplicate ? 'Unchanged resource' : 'Pushed resource'} ${result.resourceRevision.name} revision ${result.resourceRevision.revision}`);
          pushedResources.push(result);
        }

        let releases: CliReleaseFragment[] = [];
        if (options.release.length) {
          const pins = pushedResources.map((result) => ({ name: result.resourceRevision.name, revision: result.resourceRevision.revision }));
          releases = expectSuccess(
            (await store.execute(CliReleaseDocument, { input: { url: revision.entity.url, revision: revision.number, channels: options.release, resources: pins } }))
              .release,
            'ReleaseSuccess',
          ).releases;
        }

        context.print.result(
          { revision, duplicate: pushed.duplicate, resources: pushedResources.map((result) => ({ ...result.resourceRevision, duplicate: result.duplicate })), releases },
          () => [`url: ${revision.url}`, `channel: unpublished`, ...(releases.length ? [describeReleases(revision.url, releases)] : [])].join('\n'),
        );
      });
    },
  );

  storeCommand<ProgressOptions>(
    program,
    io,
    'push-resource <url> <name> <file>',
    'Push the next revision of a resource the charm declares (a file, or an oci-image descriptor JSON/YAML file).',
    (command) => withProgressOptions(command),
    async ([url, name, file], options, context) => {
      const store = await context.client();
      const result = await pushResource(store, url!, name!, file!, options, context);
      const { name: resourceName, revision } = result.resourceRevision;
      context.print.result({ ...result.resourceRevision, duplicate: result.duplicate }, () =>
        `${result.duplicate ? 'Unchanged: resource' : 'Pushed resource'} ${resourceName} revision ${revision} of ${url}`,
      );
    },
  );
}

function withProgressOptions(command: Command): Command {
  return command
    .option('--progress', 'show upload progress even when stderr is not a terminal')
    .option('--no-progress', 'never show upload progress');
}

/** "config=./config.yaml" -> {name, path}. */
function parseResourceFile(value: string): { name: string; path: string } {
  const at = value.indexOf('=');
  if (at <= 0 || at === value.length - 1) throw new UsageError(`--resource takes name=path, e.g. --resource config=./config.yaml (got "${value}")`);
  return { name: value.slice(0, at), path: value.slice(at + 1) };
}

async function pushResource(store: StoreClient, url: string, name: string, file: string, options: ProgressOptions, context: CommandContext) {
  await assertReadableFile(file);
  const content = await sendContent(store, file, `resource ${name}`, options, context);
  return expectSuccess(
    (
      'uploadId' in content
        ? await store.execute(CliPushResourceDocument, { input: { url, name, uploadId: content.uploadId } })
        : await store.executeMultipart(CliPushResourceDocument, { input: { url, name, file: null } }, { 'input.file': content.file })
    ).pushResource,
    'PushResourceSuccess',
  );
}

/** Runs `use` with a zip: the file itself, or the directory zipped into a temporary file (removed after). */
async function withArchive<T>(source: string, use: (archive: string) => Promise<T>): Promise<T> {
  const stat = await fs.stat(source).catch(() => undefined);
  if (!stat) throw new UsageError(`${source} does not exist: give a charm or bundle directory or a zip file`);
  if (!stat.isDirectory()) return use(source);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-push-'));
  try {
    const archive = path.join(dir, `${path.basename(path.resolve(source))}.zip`);
    await zipDirectory(source, archive);
    return await use(archive);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function assertReadableFile(file: string): Promise<void> {
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat?.isFile()) throw new UsageError(`${file} is not a file`);
}

/**
 * Small content is sent with the mutation (multipart); content above the
 * threshold is streamed to `POST /uploads` first, with a progress bar.
 */
async function sendContent(
  store: StoreClient,
  file: string,
  label: string,
  options: ProgressOptions,
  context: CommandContext,
): Promise<{ file: string } | { uploadId: string }> {
  const size = (await fs.stat(file)).size;
  if (size <= uploadThreshold(context.io)) return { file };
  const draw = options.progress ?? context.io.stderr.isTTY === true;
  const bar = draw ? progressBar(context.io, label) : undefined;
  bar?.start(size, 0, { sent: mebibytes(0), size: mebibytes(size) });
  try {
    const receipt = await store.upload(file, (sent) => bar?.update(sent, { sent: mebibytes(sent) }));
    bar?.update(size, { sent: mebibytes(size) });
    return { uploadId: receipt.uploadId };
  } finally {
    bar?.stop();
  }
}

function uploadThreshold(io: CliIo): number {
  const configured = io.env.CHARMSTORE_UPLOAD_THRESHOLD;
  if (configured === undefined || configured === '') return DEFAULT_UPLOAD_THRESHOLD_BYTES;
  if (!/^\d+$/.test(configured)) throw new UsageError(`CHARMSTORE_UPLOAD_THRESHOLD must be a number of bytes, not "${configured}"`);
  return Number(configured);
}

function progressBar(io: CliIo, label: string): cliProgress.SingleBar {
  const tty = io.stderr.isTTY === true;
  return new cliProgress.SingleBar(
    {
      stream: io.stderr as NodeJS.WritableStream,
      format: `Uploading ${label} [{bar}] {percentage}% {sent}/{size} MiB`,
      // Without a terminal (CI logs): one plain line per second and a last one at 100%.
      noTTYOutput: !tty,
      notTTYSchedule: 1000,
      hideCursor: tty,
    },
    cliProgress.Presets.legacy,
  );
}

function mebibytes(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}
