import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { parseOciImageDescriptor } from '../../domain/archive.js';
import type { ArchiveRequestPath, ResourceRequestPath } from '../../domain/download-paths.js';
import type { ServiceContext } from '../context.js';
import { lookupEntity } from '../entities/find-entity.js';
import { canReadResourceRevision } from '../entities/resource-access.js';
import { canReadRevision } from '../entities/revision-access.js';
import type { EntityAccess } from '../authorization/entity-access.js';
import type { CountedDownload } from './download-counter.js';

/** A blob the caller may download, with what the response needs to describe it. */
export interface Download {
  sha384: string;
  sha256: string;
  size: number;
  filename: string;
  contentType: string;
  /** Content served from memory instead of the blob `sha384` (a redacted oci-image descriptor). */
  inline?: Buffer;
  /** What the download statistics count it as (its channel comes from the request). */
  counted: Omit<CountedDownload, 'channel'>;
}

/** The entity a download path names; its own url may not carry a revision. */
async function visibleEntity(ctx: ServiceContext, urlText: string): Promise<EntityAccess | null> {
  const found = await lookupEntity(ctx, urlText);
  return found && found.url.revision === undefined ? found.access : null;
}

/** The archive of a revision; null when it is missing or the caller may not read it (the same answer on purpose). */
export async function findArchiveDownload(ctx: ServiceContext, path: ArchiveRequestPath): Promise<Download | null> {
  const access = await visibleEntity(ctx, path.entityUrl);
  if (!access) return null;
  const revision = await ctx.prisma.revision.findUnique({ where: { entityId_number: { entityId: access.entity.id, number: path.revision } } });
  if (!revision || !(await canReadRevision(ctx, access, revision.id))) return null;
  return {
    sha384: revision.sha384,
    sha256: revision.sha256,
    size: Number(revision.size),
    filename: `${access.entity.name}-${revision.number}.zip`,
    contentType: 'application/zip',
    counted: { entityId: access.entity.id, resourceName: '', revision: revision.number },
  };
}

/** A resource revision's content; null when it is missing or the caller may not read it. */
export async function findResourceDownload(ctx: ServiceContext, path: ResourceRequestPath): Promise<Download | null> {
  const access = await visibleEntity(ctx, path.entityUrl);
  if (!access) return null;
  const resourceRevision = await ctx.prisma.resourceRevision.findFirst({
    where: { revision: path.revision, resource: { entityId: access.entity.id, name: path.resourceName } },
    include: { resource: { select: { name: true, type: true } } },
  });
  if (!resourceRevision || !(await canReadResourceRevision(ctx, access, resourceRevision.id))) return null;
  const filename = `${access.entity.name}-${resourceRevision.resource.name}-${resourceRevision.revision}`;
  if (resourceRevision.resource.type === 'oci-image' && !access.canWriteUnpublished()) {
    return redactedDescriptor(ctx, resourceRevision.sha384, Number(resourceRevision.size), filename, {
      entityId: access.entity.id,
      resourceName: resourceRevision.resource.name,
      revision: resourceRevision.revision,
    });
  }
  return {
    sha384: resourceRevision.sha384,
    sha256: resourceRevision.sha256,
    size: Number(resourceRevision.size),
    filename,
    contentType: 'application/octet-stream',
    counted: { entityId: access.entity.id, resourceName: resourceRevision.resource.name, revision: resourceRevision.revision },
  };
}

/**
 * An oci-image descriptor may hold a private registry's `username` and
 * `password`. Those reach only callers who may push to the charm (who could
 * have set them); every other reader gets `{"image", "digest"}`, which is
 * what deploying needs: the cluster pulls with credentials its operator
 * configured (docs/security.md). Readers always get this form, so they
 * cannot tell whether the descriptor had credentials.
 */
async function redactedDescriptor(ctx: ServiceContext, sha384: string, size: number, filename: string, counted: Download['counted']): Promise<Download> {
  const chunks: Buffer[] = [];
  for await (const chunk of (await ctx.blobs.source(sha384)).openRange(0, size) as Readable) chunks.push(chunk as Buffer);
  const { image, digest } = parseOciImageDescriptor(Buffer.concat(chunks).toString('utf8'), 'descriptor');
  const inline = Buffer.from(`${JSON.stringify({ image, digest })}\n`);
  return {
    sha384: createHash('sha384').update(inline).digest('hex'),
    sha256: createHash('sha256').update(inline).digest('hex'),
    size: inline.length,
    filename,
    contentType: 'application/json',
    inline,
    counted,
  };
}
