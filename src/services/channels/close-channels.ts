import { formatChannel } from '../../domain/channel.js';
import { platformsToBases } from '../../domain/channel-map.js';
import { Prisma } from '../../generated/prisma/client.js';
import { PermissionDeniedError, ValidationError } from '../../domain/errors.js';
import { requireSignedIn } from '../accounts/require.js';
import type { ServiceContext } from '../context.js';
import { requireEntity } from '../entities/find-entity.js';
import { ENTITY_COMMAND_ERRORS, runEntityCommand, targetOf } from '../pipeline/entity-command.js';
import { parseJson } from './channel-map-sql.js';
import { riskToDb } from './channel-state.js';
import { checkChannelCount, writableChannels } from './channel-targets.js';

/** What closeChannels can answer besides success. */
export const closeChannelsErrors = [...ENTITY_COMMAND_ERRORS, ValidationError, PermissionDeniedError] as const;

/**
 * Closes each channel: its pointer and every platform entry of its map are
 * cleared and a close is appended to its history. A closed risk falls back to the next more stable one; a closed
 * branch to its track/risk. All or nothing, under the entity's lock.
 * Returns the entity id.
 */
export async function closeChannels(ctx: ServiceContext, input: { url: string; channels: readonly string[] }): Promise<number> {
  const actor = requireSignedIn(ctx);
  checkChannelCount(input.channels, ctx.settings.maxChannelsPerChange, 'close');
  const { access } = await requireEntity(ctx, input.url);
  return runEntityCommand(ctx, {
    target: targetOf(access, input.url),
    execute: async ({ sql, row, access, now }) => {
      const entityId = row.id;
      const channels = writableChannels(row, access, input.channels, 'close');
      const releaseIds: number[] = [];
      for (const channel of channels) {
        // The pointer cleared (the channel created closed if new) and every platform entry of its map removed: one statement.
        const [cleared] = await sql.query<{ id: number; closed: Array<{ name: string; baseChannel: string; architecture: string }> | string }>(Prisma.sql`
          WITH pointed AS (
            INSERT INTO "Channel" ("entityId", "track", "risk", "branch", "revisionId", "closed", "updatedAt")
            VALUES (${entityId}::int, ${channel.track}, ${riskToDb(channel.risk)}::"Risk", ${channel.branch ?? ''}, NULL, true, ${now})
            ON CONFLICT ("entityId", "track", "risk", "branch") DO UPDATE SET "revisionId" = NULL, "closed" = true, "updatedAt" = EXCLUDED."updatedAt"
            RETURNING "id"
          ),
          removed AS (
            DELETE FROM "ChannelBase" b USING pointed WHERE b."channelId" = pointed."id" RETURNING b."id", b."name", b."baseChannel", b."architecture"
          )
          SELECT pointed."id",
            (SELECT COALESCE(json_agg(json_build_object('name', r."name", 'baseChannel', r."baseChannel", 'architecture', r."architecture") ORDER BY r."id"), '[]'::json)
               FROM removed r) AS "closed"
          FROM pointed`);
        const channelId = cleared!.id;
        // Closing a channel closes every platform of its map; the history entry says which.
        const closed = parseJson(cleared!.closed) as Array<{ name: string; baseChannel: string; architecture: string }>;
        const bases = platformsToBases(closed.map((entry) => ({ name: entry.name, channel: entry.baseChannel, architecture: entry.architecture })));
        const [entry] = await sql.query<{ id: number }>(Prisma.sql`
          INSERT INTO "Release" ("channelId", "entityId", "action", "createdAt", "createdById", "bases")
          VALUES (${channelId}::int, ${entityId}::int, 'CLOSE'::"ReleaseAction", ${now}, ${actor.userId}::int, ${JSON.stringify(bases)}::jsonb)
          RETURNING "id"`);
        releaseIds.push(entry!.id);
      }
      return {
        result: entityId,
        audit: { action: 'close-channels', target: access.url, after: { closed: channels.map(formatChannel) } },
        event: { kind: 'channels-closed', entityId, releaseIds },
      };
    },
  });
}
