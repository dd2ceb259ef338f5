import { Readable } from 'node:stream';
import { Prisma, type ResourceRevision } from '../../generated/prisma/client.js';
import { MAX_OCI_DESCRIPTOR_BYTES, parseOciImageDescriptor } from '../../domain/archive.js';
import { ConflictError, NotFoundError, PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import { requireSignedIn } from '../accounts/require.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { ENTITY_COMMAND_ERRORS, runEntityCommand, targetOf } from '../pipeline/entity-command.js';
import { acquireContent, type ContentInput, type PushedContent } from '../uploads/content.js';

export interface PushResourceInput extends ContentInput {
  url: string;
  name: string;
}

export interface PushResourceOutcome {
  resourceRevision: ResourceRevision;
  duplicate: boolean;
}

/** What pushResource can answer besides success. */
export const pushResourceErrors = [...ENTITY_COMMAND_ERRORS, PermissionDeniedError, ConflictError] as const;

/**
 * Adds the next revision (0, 1, 2, ...) of a resource the entity declares
 * in metadata.yaml. Content identical to the resource's latest revision
 * returns that one and writes nothing. An oci-image resource's content is a
 * small descriptor (image reference and digest), checked before anything
 * is written.
 */
export async function pushResource(ctx: ServiceContext, input: PushResourceInput): Promise<PushResourceOutcome> {
  const actor = requireSignedIn(ctx);
  const { access, url } = await requireEntity(ctx, input.url);
  if (url.revision !== undefined) {
    throw new ValidationError(`"${input.url}" has a revision; resources belong to the entity, so give the url without "-${url.revision}"`, 'url');
  }
  // Refused early, before the content is stored; the pipeline checks again under the lock.
  if (!access.canWriteUnpublished()) access.deny(denial(access.url));
  const resource = await ctx.prisma.resource.findUnique({ where: { entityId_name: { entityId: access.entity.id, name: input.name } } });
  if (!resource) {
    const declared = await ctx.prisma.resource.findMany({ where: { entityId: access.entity.id }, select: { name: true }, orderBy: { name: 'asc' } });
    const list = declared.length ? `it declares ${declared.map((r) => `"${r.name}"`).join(', ')}` : 'it declares none';
    throw new ValidationError(`${access.url} has no resource "${input.name}" (${list}); declare it under "resources" in metadata.yaml and push the charm first`, 'name');
  }
  const oci = resource.type === 'oci-image';
  const content = await acquireContent(ctx, actor, { file: input.file, uploadId: input.uploadId }, {
    fileField: 'file',
    maxBytes: oci ? MAX_OCI_DESCRIPTOR_BYTES : ctx.settings.maxUploadBytes,
    what: oci ? `oci-image descriptor of "${resource.name}"` : `content of resource "${resource.name}"`,
  });
  try {
    if (oci) parseOciImageDescriptor(await readText(content), input.file ? 'file' : 'uploadId');
    return await runEntityCommand<PushResourceOutcome>(ctx, {
      target: targetOf(access, input.url),
      execute: async ({ sql, access: lockedAccess, now }) => {
        if (!lockedAccess.canWriteUnpublished()) lockedAccess.deny(denial(lockedAccess.url));
        // Under the entity's lock (taken first, like every write to it), then the resource's row.
        const [locked] = await sql.query<{ nextRevision: number }>(Prisma.sql`SELECT "nextRevision" FROM "Resource" WHERE "id" = ${resource.id} FOR UPDATE`);
        if (!locked) throw new NotFoundError(`${lockedAccess.url} no longer declares resource "${resource.name}"`);
        const target = `${lockedAccess.url}/${resource.name}`;
        const [latest] = await sql.query<ResourceRevision>(
          Prisma.sql`SELECT * FROM "ResourceRevision" WHERE "resourceId" = ${resource.id}::int ORDER BY "revision" DESC LIMIT 1`,
        );
        if (latest && latest.sha384 === content.sha384) {
          // Nothing is created, but the attempt is still on the record.
          return {
            result: { resourceRevision: latest, duplicate: true },
            audit: { action: 'push-resource-duplicate', target, after: { revision: latest.revision, sha384: content.sha384 } },
            event: null,
          };
        }
        const revision = locked.nextRevision;
        // The counter and the new revision: one statement.
        const [created] = await sql.query<ResourceRevision>(Prisma.sql`
          WITH bumped AS (UPDATE "Resource" SET "nextRevision" = ${revision + 1}::int WHERE "id" = ${resource.id}::int)
          INSERT INTO "ResourceRevision" ("resourceId", "revision", "sha384", "sha256", "size", "createdAt", "createdById")
          VALUES (${resource.id}::int, ${revision}::int, ${content.sha384}, ${content.sha256}, ${BigInt(content.size)}::int8, ${now}, ${actor.userId}::int)
          RETURNING *`);
        await content.claim(sql);
        return {
          result: { resourceRevision: created!, duplicate: false },
          audit: { action: 'push-resource', target, after: { revision, sha384: content.sha384, size: content.size } },
          event: { kind: 'resource-pushed', entityId: lockedAccess.entity.id, resourceRevisionId: created!.id },
        };
      },
    });
  } finally {
    await content.discard();
  }
}

function denial(url: string): string {
  return `You may not push resources to ${url}: that needs write access to its unpublished channel; ask its owner to grant it`;
}

async function readText(content: PushedContent): Promise<string> {
  const source = await content.source();
  const chunks: Buffer[] = [];
  for await (const chunk of source.openRange(0, source.size) as Readable) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
