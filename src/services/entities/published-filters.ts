import { ANY_ARCHITECTURE } from '../../domain/bases.js';
import { ValidationError } from '../../domain/errors.js';
import { Prisma } from '../../generated/prisma/client.js';

/**
 * Filters on what an entity publishes, like the old charm store's
 * `provides=`, `requires=` and `series=` search filters: an entity matches
 * when one revision released on an open stable channel (of any track, for
 * any platform of its channel map) satisfies every filter given. Only released revisions count, for the same
 * reason as in full-text search: what is not released must not be findable
 * by people who cannot read unpublished revisions.
 */
export interface PublishedFilters {
  /** An interface the charm provides, e.g. "pgsql". */
  provides?: string | null;
  /** An interface the charm requires. */
  requires?: string | null;
  /** A platform the charm runs on; any part may be left out. */
  base?: { name?: string | null; channel?: string | null; architecture?: string | null } | null;
}

/** The filters checked and trimmed; empty when none was given. */
interface CheckedFilters {
  provides?: string;
  requires?: string;
  base?: { name?: string; channel?: string; architecture?: string };
}

function text(value: string | null | undefined, field: string): string | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') throw new ValidationError(`${field} is empty: give a value, or leave the filter out`, field);
  return trimmed;
}

/** Refuses empty filter values (a typo would otherwise match nothing or everything). */
export function checkPublishedFilters(filters: PublishedFilters): CheckedFilters {
  const checked: CheckedFilters = {};
  const provides = text(filters.provides, 'provides');
  const requires = text(filters.requires, 'requires');
  if (provides) checked.provides = provides;
  if (requires) checked.requires = requires;
  if (filters.base) {
    const base = { name: text(filters.base.name, 'base.name'), channel: text(filters.base.channel, 'base.channel'), architecture: text(filters.base.architecture, 'base.architecture') };
    if (!base.name && !base.channel && !base.architecture) throw new ValidationError('base names nothing to filter by: give its name, channel or architecture', 'base');
    checked.base = Object.fromEntries(Object.entries(base).filter(([, value]) => value !== undefined));
  }
  return checked;
}

const hasFilters = (filters: CheckedFilters) => filters.provides !== undefined || filters.requires !== undefined || filters.base !== undefined;

/**
 * The JSON documents a matching revision's columns contain (PostgreSQL's
 * jsonb `@>`): relations are stored as [{name, interface}] lists in
 * `metadata`, bases as [{name, channel, architectures}] in `bases`. A
 * revision for every architecture ("all") matches any architecture asked.
 */
function containments(filters: CheckedFilters): { metadata: Array<{ key: 'provides' | 'requires'; contains: Array<{ interface: string }> }>; bases: Array<Array<Record<string, string | string[]>>> } {
  const metadata: Array<{ key: 'provides' | 'requires'; contains: Array<{ interface: string }> }> = [];
  if (filters.provides) metadata.push({ key: 'provides', contains: [{ interface: filters.provides }] });
  if (filters.requires) metadata.push({ key: 'requires', contains: [{ interface: filters.requires }] });
  if (!filters.base) return { metadata, bases: [] };
  const { architecture, ...platform } = filters.base;
  const bases = architecture === undefined ? [[platform]] : [[{ ...platform, architectures: [architecture] }], [{ ...platform, architectures: [ANY_ARCHITECTURE] }]];
  return { metadata, bases };
}

/** The Prisma filter of entities whose published revision matches (for listings). */
export function publishedEntityWhere(filters: PublishedFilters): Prisma.EntityWhereInput {
  const checked = checkPublishedFilters(filters);
  if (!hasFilters(checked)) return {};
  const { metadata, bases } = containments(checked);
  const revision: Prisma.RevisionWhereInput = {
    AND: [
      ...metadata.map(({ key, contains }) => ({ metadata: { path: [key], array_contains: contains } }) satisfies Prisma.RevisionWhereInput),
      bases.length ? { OR: bases.map((document) => ({ bases: { array_contains: document } })) } : {},
    ],
  };
  // The channel's own pointer, or one of its map entries (a channel serves one revision per platform).
  return { channels: { some: { risk: 'STABLE', branch: '', closed: false, OR: [{ revision: { is: revision } }, { bases: { some: { revision } } }] } } };
}

/** The same filter as SQL on the entity alias `e` (for ranked search, which is raw SQL). */
export function publishedEntitySql(filters: PublishedFilters, alias: string): Prisma.Sql {
  const checked = checkPublishedFilters(filters);
  if (!hasFilters(checked)) return Prisma.sql`TRUE`;
  const { metadata, bases } = containments(checked);
  const conditions = metadata.map(({ key, contains }) => Prisma.sql`r."metadata" -> ${key} @> ${JSON.stringify(contains)}::jsonb`);
  if (bases.length) conditions.push(Prisma.sql`(${Prisma.join(bases.map((document) => Prisma.sql`r."bases" @> ${JSON.stringify(document)}::jsonb`), ' OR ')})`);
  return Prisma.sql`EXISTS (
    SELECT 1 FROM "Channel" c
    JOIN "Revision" r ON r."id" = c."revisionId" OR r."id" IN (SELECT cb."revisionId" FROM "ChannelBase" cb WHERE cb."channelId" = c."id")
    WHERE c."entityId" = ${Prisma.raw(`"${alias}"`)}."id" AND c."risk" = 'STABLE' AND c."branch" = '' AND NOT c."closed"
      AND ${Prisma.join(conditions, ' AND ')})`;
}
