import { ANY_ARCHITECTURE } from '../../domain/bases.js';
import { NotFoundError, PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import { Prisma, type ResourceRevision } from '../../generated/prisma/client.js';
import { requireSignedIn } from '../accounts/require.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { ENTITY_COMMAND_ERRORS, runEntityCommand, targetOf } from '../pipeline/entity-command.js';

/** What setResourceArchitectures can answer besides success. */
export const setResourceArchitecturesErrors = [...ENTITY_COMMAND_ERRORS, NotFoundError, PermissionDeniedError, ValidationError] as const;

export interface SetResourceArchitecturesInput {
  url: string;
  name: string;
  revision: number;
  architectures: readonly string[];
}

const ARCHITECTURE = /^[a-z0-9][a-z0-9-]*$/;

/**
 * Says which architectures a resource revision is for (`charmcraft
 * set-resource-architectures`); an empty list means every architecture, as
 * for a revision never set. A release refuses to pin it with a revision
 * running on other architectures, and picks by default the newest revision
 * made for the release's. Those who may push the resource may set it.
 */
export async function setResourceArchitectures(ctx: ServiceContext, input: SetResourceArchitecturesInput): Promise<ResourceRevision> {
  requireSignedIn(ctx);
  const architectures = [...new Set(input.architectures.map((architecture) => architecture.trim()))].sort();
  const bad = architectures.find((architecture) => !ARCHITECTURE.test(architecture) || architecture === ANY_ARCHITECTURE);
  if (bad !== undefined) {
    throw new ValidationError(
      `"${bad}" is not an architecture: give names such as "amd64" or "arm64", or an empty list for every architecture`,
      'architectures',
    );
  }
  const { access: found, url } = await requireEntity(ctx, input.url);
  if (url.revision !== undefined) {
    throw new ValidationError(`"${input.url}" has a revision; resources belong to the entity, so give the url without "-${url.revision}"`, 'url');
  }
  return runEntityCommand(ctx, {
    target: targetOf(found, input.url),
    execute: async ({ sql, row, access }) => {
      if (!access.canWriteUnpublished()) {
        throw new PermissionDeniedError(`You may not change the resources of ${access.url}: it takes write access to its unpublished revisions`);
      }
      // The update, with the architectures it replaced: one statement.
      const [changed] = await sql.query<ResourceRevision & { previousArchitectures: string[] }>(Prisma.sql`
        WITH existing AS (
          SELECT rr."id", rr."architectures" FROM "ResourceRevision" rr JOIN "Resource" s ON s."id" = rr."resourceId"
          WHERE s."entityId" = ${row.id}::int AND s."name" = ${input.name} AND rr."revision" = ${input.revision}::int
        )
        UPDATE "ResourceRevision" rr SET "architectures" = ${architectures}::text[] FROM existing WHERE rr."id" = existing."id"
        RETURNING rr.*, existing."architectures" AS "previousArchitectures"`);
      if (!changed) throw new NotFoundError(`${access.url} has no revision ${input.revision} of resource "${input.name}"`);
      const { previousArchitectures, ...updated } = changed;
      const existing = { architectures: previousArchitectures };
      return {
        result: updated,
        audit: {
          action: 'set-resource-architectures',
          target: `${access.url}/${input.name}/${input.revision}`,
          before: { architectures: existing.architectures },
          after: { architectures },
        },
        event: null,
      };
    },
  });
}
