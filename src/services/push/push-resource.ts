import { Readable } from 'node:stream';
import type { ResourceRevision } from '../../generated/prisma/client.js';
import { MAX_OCI_DESCRIPTOR_BYTES, parseOciImageDescriptor } from '../../domain/archive.js';
import { ValidationError } from '../../domain/errors.js';
import { requireSignedIn } from '../accounts/require.js';
import { recordAudit } from '../audit.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { acquireContent, type ContentInput, type PushedContent } from '../uploads/content.js';

export interface PushResourceInput extends ContentInput {
  url: string;
  name: string;
}

export interface PushResourceOutcome {
  resourceRevision: ResourceRevision;
  duplicate: boolean;
}

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
  if (!access.canWriteUnpublished()) {
    access.deny(`You may not push resources to ${access.url}: that needs write access to its unpublished channel; ask its owner to grant it`);
  }
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
    await content.commit();
    return await ctx.prisma.$transaction(async (tx) => {
      const now = ctx.now();
      // The resource's row lock serializes its revision numbers across processes.
      const [locked] = await tx.$queryRaw<Array<{ nextRevision: number }>>`SELECT "nextRevision" FROM "Resource" WHERE "id" = ${resource.id} FOR UPDATE`;
      const latest = await tx.resourceRevision.findFirst({ where: { resourceId: resource.id }, orderBy: { revision: 'desc' } });
      if (latest && latest.sha384 === content.sha384) {
        // Nothing is created, but the attempt is still on the record.
        await recordAudit(
          tx,
          actor,
          { action: 'push-resource-duplicate', entityId: access.entity.id, target: `${access.url}/${resource.name}`, after: { revision: latest.revision, sha384: content.sha384 } },
          now,
        );
        return { resourceRevision: latest, duplicate: true };
      }
      const revision = locked!.nextRevision;
      await tx.resource.update({ where: { id: resource.id }, data: { nextRevision: revision + 1 } });
      const created = await tx.resourceRevision.create({
        data: {
          resourceId: resource.id,
          revision,
          sha384: content.sha384,
          sha256: content.sha256,
          size: BigInt(content.size),
          createdAt: now,
          createdById: actor.userId,
        },
      });
      await content.markUsed(tx);
      await recordAudit(
        tx,
        actor,
        { action: 'push-resource', entityId: access.entity.id, target: `${access.url}/${resource.name}`, after: { revision, sha384: content.sha384, size: content.size } },
        now,
      );
      return { resourceRevision: created, duplicate: false };
    });
  } finally {
    await content.discard();
  }
}

async function readText(content: PushedContent): Promise<string> {
  const source = await content.source();
  const chunks: Buffer[] = [];
  for await (const chunk of source.openRange(0, source.size) as Readable) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
