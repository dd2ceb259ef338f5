import { type EntityKind, Prisma } from '../../generated/prisma/client.js';
import { type ArchiveInfo, archiveMetadata } from '../../domain/archive.js';
import { BUNDLE_SERIES, type EntityUrl, entityNameProblem, formatEntityUrl, isValidEntityName, parseEntityUrl } from '../../domain/entity-url.js';
import { ConflictError, PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import { requireSignedIn } from '../accounts/require.js';
import { inspectArchive } from '../archives/inspect-archive.js';
import { getCaller } from '../authorization/caller.js';
import { EntityAccess, entityAccessSelect, entityUrlOf } from '../authorization/entity-access.js';
import { canCreateEntityIn } from '../authorization/namespace-access.js';
import type { ServiceContext } from '../context.js';
import { ENTITY_COMMAND_ERRORS, runEntityCommand } from '../pipeline/entity-command.js';
import { acquireContent, uploadRace } from '../uploads/content.js';
import type { SqlExecutor } from '../../db/sql-executor.js';
import { BLOB_LOCK_CLASS, blobLockKey } from '../blobs/blob-lock.js';
import { RECORDED_COLUMNS } from '../pipeline/record-change.js';

export interface PushInput {
  archive?: File | null;
  uploadId?: string | null;
  url?: string | null;
}

/** What a push result carries of the revision's entity (the Revision node always needs its url). */
const withEntityName = { entity: { select: { name: true, kind: true, namespace: { select: { name: true } } } } } satisfies Prisma.RevisionInclude;
type PushedRevision = Prisma.RevisionGetPayload<{ include: typeof withEntityName }>;

export interface PushOutcome {
  revision: PushedRevision;
  /** The content equals the latest revision's, which is returned; nothing was written. */
  duplicate: boolean;
}

/** What push can answer besides success (the GraphQL union of `push` must list each). */
export const pushErrors = [...ENTITY_COMMAND_ERRORS, PermissionDeniedError, ConflictError] as const;

/** The `~owner/name` a push goes to, and its kind. */
interface PushTarget {
  owner: string;
  name: string;
  kind: EntityKind;
  url: string;
}

/**
 * Pushes an archive as the next revision of an entity, creating the entity
 * (private, owner only) on its first push. Everything is checked before
 * anything is written: the archive, the target id, the caller's rights. The
 * blob is claimed (put in place under its lock, see blobs/blob-lock.ts) in
 * the transaction that writes the revision, so no revision exists without
 * its blob and the collector cannot remove it. The write runs through the pipeline
 * (pipeline/entity-command.ts): the caller's rights are checked again under
 * the entity's row lock, and numbers come from Entity.nextRevision read
 * under it, so they stay consecutive under concurrent pushes from any
 * number of processes.
 */
export async function push(ctx: ServiceContext, input: PushInput): Promise<PushOutcome> {
  const actor = requireSignedIn(ctx);
  const url = input.url == null || input.url.trim() === '' ? null : parseEntityUrl(input.url, 'url');
  if (url?.revision !== undefined) {
    throw new ValidationError(`"${input.url}" has a revision; a push always makes a new revision, so give the url without "-${url.revision}"`, 'url');
  }
  const content = await acquireContent(ctx, actor, { file: input.archive, uploadId: input.uploadId }, {
    fileField: 'archive',
    maxBytes: ctx.settings.archiveLimits.maxArchiveBytes,
    what: 'archive',
  });
  try {
    const info = await inspectArchive(content.bytes ?? (await content.source()), ctx.settings.archiveLimits, input.archive ? 'archive' : 'uploadId');
    const target = pushTarget(url, input.url ?? '', info, actor.username, content.filename);
    const denied = () =>
      new PermissionDeniedError(`You may not push to ~${target.owner}: push to your own namespace (~${actor.username}) or to a group you belong to`);
    return await runEntityCommand<PushOutcome>(ctx, {
      target: {
        owner: target.owner,
        name: target.name,
        url: target.url,
        create: { kind: target.kind, allowed: (caller) => canCreateEntityIn(caller, target.owner, target.url), denied },
      },
      execute: async ({ sql, row, access, created, changeRecord, beforeCommit }) => {
        if (!created) checkExisting(access, target, denied);
        const entityId = row.id;
        const number = row.nextRevision;
        const now = ctx.now();
        const revision = {
          entityId,
          number,
          sha384: content.sha384,
          sha256: content.sha256,
          size: BigInt(content.size),
          createdAt: now,
          createdById: actor.userId,
          summary: info.summary,
          description: info.description,
          series: info.series,
          bases: info.kind === 'CHARM' ? (info.bases as unknown as Prisma.JsonArray) : [],
          version: info.version,
          title: info.kind === 'CHARM' ? info.title : null,
          metadata: archiveMetadata(info) as unknown as Prisma.JsonObject,
        };
        const audit = {
          action: 'push',
          target: entityUrlOf(access.entity, number),
          after: { revision: number, sha384: content.sha384, size: content.size, createdEntity: created },
        } as const;
        // The audit event (with the live update's NOTIFY) is written by the same statement, unless the push is a duplicate.
        const written = await writeRevision(sql, revision, info.kind === 'CHARM' ? info.resources : [], content.uploadId, changeRecord(audit, Prisma.raw('revision')));
        if (!written) {
          // The content equals the latest revision's: nothing is created, but the attempt is still on the record.
          const [stored] = await sql.query<Omit<PushedRevision, 'entity'>>(
            Prisma.sql`SELECT * FROM "Revision" WHERE "entityId" = ${entityId}::int ORDER BY "number" DESC LIMIT 1`,
          );
          if (stored === undefined) throw new Error(`A duplicate push to ${access.url} found no latest revision`);
          const latest: PushedRevision = { ...stored, entity: { name: access.entity.name, kind: access.entity.kind, namespace: { name: access.entity.namespace.name } } };
          return {
            result: { revision: latest, duplicate: true },
            audit: { action: 'push-duplicate', target: entityUrlOf(access.entity, latest.number), after: { revision: latest.number, sha384: content.sha384 } },
            event: null,
          };
        }
        // The statement took the blob's lock: put the blob in place under it (an upload's: check the collector left it),
        // which the pipeline awaits before the COMMIT, so that the entity's next writer does not wait for the disk.
        beforeCommit(content.placeLocked());
        // Single use: of two concurrent pushes naming one upload, one wins.
        if (content.uploadId !== null && !written.uploadMarked) throw uploadRace(content.uploadId);
        // With its author: what answers usually ask besides the row (graphql/known-rows.ts).
        const pushed: PushedRevision & { createdBy: { username: string } } = {
          ...revision,
          id: written.id,
          entity: { name: access.entity.name, kind: access.entity.kind, namespace: { name: access.entity.namespace.name } },
          createdBy: { username: actor.username },
        };
        return {
          result: { revision: pushed, duplicate: false },
          audit,
          recorded: { webhooksQueued: written.webhooksQueued > 0 },
          event: { kind: 'revision-pushed', entityId, revisionId: written.id, created },
        };
      },
    });
  } finally {
    await content.discard();
  }
}

/**
 * An existing entity: visible but not writable is denied, another kind is
 * refused. An invisible one gets exactly the answer a missing one gets
 * (`denied`: whoever cannot see it could not create it either), so that a
 * push cannot probe for private names.
 */
function checkExisting(access: EntityAccess, target: PushTarget, denied: () => PermissionDeniedError): void {
  if (!access.canView()) throw denied();
  if (!access.canWriteUnpublished()) {
    throw new PermissionDeniedError(`You may not push to ${access.url}: that needs write access to its unpublished channel; ask its owner to grant it`);
  }
  if (access.entity.kind !== target.kind) {
    const existingKind = access.entity.kind === 'BUNDLE' ? 'bundle' : 'charm';
    const pushedKind = target.kind === 'BUNDLE' ? 'bundle' : 'charm';
    throw new ValidationError(
      `~${target.owner} already has a ${existingKind} named "${target.name}" (${access.url}); a ${pushedKind} cannot use the same name, choose another`,
      'url',
    );
  }
}

/**
 * The target id, following the seed's permutations: none (`~you/<metadata
 * name>`, bundles `~you/bundle/<bundle.yaml name or file stem>`), `name`,
 * `bundle/name`, `~group/name`, `cs:~group/name`.
 */
function pushTarget(url: EntityUrl | null, urlText: string, info: ArchiveInfo, username: string, filename: string | null): PushTarget {
  const kind: EntityKind = info.kind;
  if (url) {
    if (url.series === BUNDLE_SERIES && kind === 'CHARM') {
      throw new ValidationError(`"${urlText}" names a bundle but the archive is a charm (it has metadata.yaml); push it to a charm url such as "${url.name}"`, 'url');
    }
    if (url.series !== BUNDLE_SERIES && kind === 'BUNDLE') {
      throw new ValidationError(`"${urlText}" names a charm but the archive is a bundle (it has bundle.yaml); push it to a bundle url such as "bundle/${url.name}"`, 'url');
    }
    if (kind === 'CHARM' && url.series !== undefined && !info.series.includes(url.series)) {
      const declared = info.series.length ? `it declares ${info.series.join(', ')}` : 'it declares no series';
      throw new ValidationError(`"${urlText}" names series "${url.series}" but the charm does not support it (${declared}); leave the series out of the url`, 'url');
    }
  }
  const owner = url?.owner ?? username;
  const name = url?.name ?? defaultName(info, filename);
  return { owner, name, kind, url: formatEntityUrl({ owner, name, isBundle: kind === 'BUNDLE' }) };
}

function defaultName(info: ArchiveInfo, filename: string | null): string {
  if (info.kind === 'CHARM') return info.name;
  if (info.name) return info.name;
  const stem = filename?.replace(/^.*[\\/]/, '').replace(/\.(zip|bundle)$/i, '') ?? '';
  if (stem === '') {
    throw new ValidationError('The bundle has no name: give a url such as "bundle/wiki", or a "name" in bundle.yaml', 'url');
  }
  if (!isValidEntityName(stem)) {
    throw new ValidationError(`The bundle's file name "${filename}" is not a usable name (${entityNameProblem(stem)}); give a url such as "bundle/wiki"`, 'url');
  }
  return stem;
}

/**
 * The writes of a push in ONE statement: unless the content equals the
 * latest revision's, bumps the entity's revision counter, takes the blob's
 * lock (blobs/blob-lock.ts; the blob is put in place after it, before the
 * commit), inserts the revision, creates or updates the resources it
 * declares, marks the upload used and records the change (`changeRecord`,
 * the pipeline's audit CTEs). Returns null for a duplicate.
 */
async function writeRevision(
  sql: SqlExecutor,
  revision: Omit<PushedRevision, 'id' | 'entity'>,
  resources: ReadonlyArray<{ name: string; type: string; description: string | null }>,
  uploadId: string | null,
  changeRecord: Prisma.Sql,
): Promise<{ id: number; uploadMarked: boolean; webhooksQueued: number } | null> {
  const { entityId, number, createdAt: now } = revision;
  const declared = JSON.stringify(resources.map(({ name, type, description }) => ({ name, type, description })));
  const rows = await sql.query<{ id: number; uploadMarked: boolean; webhooksQueued: number }>(Prisma.sql`
    WITH latest AS (
      SELECT "sha384" FROM "Revision" WHERE "entityId" = ${entityId} ORDER BY "number" DESC LIMIT 1
    ),
    bumped AS (
      UPDATE "Entity" SET "nextRevision" = ${number + 1}, "updatedAt" = ${now}
      WHERE "id" = ${entityId} AND NOT EXISTS (SELECT 1 FROM latest WHERE "sha384" = ${revision.sha384})
      RETURNING "id"
    ),
    blob AS (
      SELECT 1 AS "locked" FROM bumped, LATERAL (SELECT pg_advisory_xact_lock(${BLOB_LOCK_CLASS}::int, ${blobLockKey(revision.sha384)}::int)) AS lock
    ),
    revision AS (
      INSERT INTO "Revision" ("entityId", "number", "sha384", "sha256", "size", "createdAt", "createdById", "summary", "description", "series",
                              "bases", "version", "title", "metadata")
      SELECT ${entityId}, ${number}, ${revision.sha384}, ${revision.sha256}, ${revision.size}, ${now}, ${revision.createdById}, ${revision.summary},
             ${revision.description}, ${revision.series}::text[], ${JSON.stringify(revision.bases)}::jsonb, ${revision.version}, ${revision.title},
             ${JSON.stringify(revision.metadata)}::jsonb
      FROM blob
      RETURNING "id"
    ),
    resources AS (
      INSERT INTO "Resource" ("entityId", "name", "type", "description", "createdAt")
      SELECT ${entityId}, declared."name", declared."type", declared."description", ${now}
      FROM revision, json_to_recordset(${declared}::json) AS declared("name" text, "type" text, "description" text)
      ON CONFLICT ("entityId", "name") DO UPDATE SET "type" = EXCLUDED."type", "description" = EXCLUDED."description"
    ),
    used AS (
      UPDATE "Upload" SET "usedAt" = ${now} WHERE "id" = ${uploadId} AND "usedAt" IS NULL AND EXISTS (SELECT 1 FROM revision) RETURNING 1
    ),
    ${changeRecord}
    SELECT revision."id", EXISTS (SELECT 1 FROM used) AS "uploadMarked", ${RECORDED_COLUMNS} FROM revision`);
  return rows[0] ?? null;
}
