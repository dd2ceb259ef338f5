/**
 * The raw baseline of `npm run bench:reads`: node:http and hand-written SQL
 * answering the benchmark's two reads (the dashboard page and resolve) with
 * the JSON the store answers, byte for byte, under the same visibility rules
 * for the two callers the benchmark uses: an admin (with an unscoped token)
 * and an anonymous caller. It is what the store's reads cost at the least:
 * no GraphQL, no ORM; the channel fall-back is computed with the store's
 * own pure domain module, as any hand-written server would have to.
 *
 * Run as its own process (like the store), on PostgreSQL (RAW_DATABASE_URL,
 * RAW_SCHEMA) or on a PGlite directory (RAW_PGLITE_DIR, a copy of the
 * store's data taken while the store was stopped). Prints its url on stdout.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { type ChannelName, formatChannel, parseChannel, type RiskName } from '../src/domain/channel.js';
import { formatEntityUrl, parseEntityUrl } from '../src/domain/entity-url.js';
import { ChannelSet, orderTracks } from '../src/domain/fallback.js';

type Query = <T>(sql: string, params?: unknown[]) => Promise<T[]>;

const BRANCH_TTL_MS = Number(process.env.STORE_BRANCH_TTL_SECONDS ?? 30 * 24 * 3600) * 1000;

async function openQuery(): Promise<Query> {
  if (process.env.RAW_PGLITE_DIR) {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create(process.env.RAW_PGLITE_DIR);
    return async <T>(sql: string, params: unknown[] = []) => (await db.query<T>(sql, params)).rows;
  }
  const schema = process.env.RAW_SCHEMA;
  const pool = new pg.Pool({
    connectionString: process.env.RAW_DATABASE_URL,
    max: 10,
    options: ['-c jit=off', schema ? `-c search_path=${schema}` : ''].filter(Boolean).join(' '),
  });
  return async <T>(sql: string, params: unknown[] = []) => (await pool.query(sql, params)).rows as T[];
}

type Caller = 'admin' | 'anonymous';

interface EntityRow {
  id: number;
  name: string;
  kind: 'CHARM' | 'BUNDLE';
  private: boolean;
  defaultTrack: string;
  nextRevision: number;
  owner: string;
}

interface ChannelRow {
  id: number;
  entityId: number;
  track: string;
  risk: string;
  branch: string;
  revisionId: number | null;
  number: number | null;
  closed: boolean;
  lastReleasedAt: Date | null;
}

/** The anonymous caller's rights on one entity: what `everyone` may read. */
class Rights {
  constructor(
    private readonly caller: Caller,
    private readonly isPrivate: boolean,
    private readonly everyoneLists: string[],
  ) {}

  channel(track: string, risk: RiskName): boolean {
    return this.caller === 'admin' || !this.isPrivate || this.everyoneLists.some((list) => list === risk || list === `${track}/${risk}`);
  }

  unpublished(): boolean {
    return this.caller === 'admin' || this.everyoneLists.includes('unpublished');
  }
}

async function callerOf(query: Query, authorization: string | undefined): Promise<Caller | null> {
  if (!authorization) return 'anonymous';
  const secret = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1] ?? '';
  const rows = await query<{ isAdmin: boolean; unscoped: boolean }>(
    `SELECT u."isAdmin", coalesce(cardinality(t.permissions), 0) + coalesce(cardinality(t.entities), 0) + coalesce(cardinality(t.channels), 0) = 0 AS unscoped
       FROM "Token" t JOIN "User" u ON u.id = t."userId"
      WHERE t."secretHash" = $1 AND t."revokedAt" IS NULL AND t."expiresAt" > now()`,
    [createHash('sha256').update(secret).digest('hex')],
  );
  const row = rows[0];
  // Only the two callers of the benchmark: an unscoped admin token, or none.
  return row?.isAdmin && row.unscoped ? 'admin' : null;
}

const VISIBLE_TO_ANYBODY = `(NOT e.private OR EXISTS (SELECT 1 FROM "AclEntry" a WHERE a."entityId" = e.id AND a.principal = 'everyone'))`;

async function dashboard(query: Query, caller: Caller, first: number): Promise<unknown> {
  const entities = await query<EntityRow>(
    `SELECT e.id, e.name, e.kind::text AS kind, e.private, e."defaultTrack", e."nextRevision", n.name AS owner
       FROM "Entity" e JOIN "Namespace" n ON n.id = e."namespaceId"
      ${caller === 'admin' ? '' : `WHERE ${VISIBLE_TO_ANYBODY}`}
      ORDER BY e.name, e.id LIMIT $1`,
    [first],
  );
  const ids = entities.map((entity) => entity.id);
  const [tracks, channels, history, resources, acl] = await Promise.all([
    query<{ entityId: number; name: string; createdAt: Date }>(`SELECT "entityId", name, "createdAt" FROM "Track" WHERE "entityId" = ANY($1)`, [ids]),
    query<ChannelRow>(
      `SELECT c.id, c."entityId", c.track, c.risk::text AS risk, c.branch, c."revisionId", r.number, c.closed, c."lastReleasedAt"
         FROM "Channel" c LEFT JOIN "Revision" r ON r.id = c."revisionId" WHERE c."entityId" = ANY($1)`,
      [ids],
    ),
    query<{ channelId: number; action: string; username: string; number: number | null; resources: Array<{ name: string; revision: number }> }>(
      `SELECT c.id AS "channelId", h.* FROM "Channel" c CROSS JOIN LATERAL (
         SELECT rl.id, rl.action::text AS action, u.username, rv.number,
                (SELECT coalesce(json_agg(json_build_object('name', res.name, 'revision', rr.revision)), '[]')
                   FROM "ReleaseResource" p JOIN "ResourceRevision" rr ON rr.id = p."resourceRevisionId" JOIN "Resource" res ON res.id = rr."resourceId"
                  WHERE p."releaseId" = rl.id) AS resources
           FROM "Release" rl JOIN "User" u ON u.id = rl."createdById" LEFT JOIN "Revision" rv ON rv.id = rl."revisionId"
          WHERE rl."channelId" = c.id ORDER BY rl.id DESC LIMIT 3) h
        WHERE c."entityId" = ANY($1)
        ORDER BY c.id, h.id DESC`,
      [ids],
    ),
    query<{ entityId: number; name: string }>(`SELECT "entityId", name FROM "Resource" WHERE "entityId" = ANY($1) ORDER BY name`, [ids]),
    caller === 'admin'
      ? Promise.resolve([])
      : query<{ entityId: number; channel: string }>(`SELECT "entityId", channel FROM "AclEntry" WHERE "entityId" = ANY($1) AND principal = 'everyone'`, [ids]),
  ]);
  const now = new Date();
  const group = <T extends { entityId: number }>(rows: T[]) => {
    const map = new Map<number, T[]>();
    for (const row of rows) {
      let list = map.get(row.entityId);
      if (!list) map.set(row.entityId, (list = []));
      list.push(row);
    }
    return map;
  };
  const tracksOf = group(tracks);
  const channelsOf = group(channels);
  const resourcesOf = group(resources);
  const aclOf = group(acl);
  const historyOf = new Map<number, typeof history>();
  for (const entry of history) {
    let list = historyOf.get(entry.channelId);
    if (!list) historyOf.set(entry.channelId, (list = []));
    list.push(entry);
  }
  const rights = new Map(entities.map((entity) => [entity.id, new Rights(caller, entity.private, (aclOf.get(entity.id) ?? []).map((row) => row.channel))]));

  // The newest revision the caller may read: all of them, or those released on a channel they may read.
  const latest = new Map<number, number>();
  const scoped: number[] = [];
  for (const entity of entities) {
    if (rights.get(entity.id)!.unpublished()) {
      if (entity.nextRevision > 0) latest.set(entity.id, entity.nextRevision - 1);
    } else {
      for (const channel of channelsOf.get(entity.id) ?? []) {
        if (rights.get(entity.id)!.channel(channel.track, channel.risk.toLowerCase() as RiskName)) scoped.push(channel.id);
      }
    }
  }
  if (scoped.length > 0) {
    const rows = await query<{ entityId: number; number: number }>(
      `SELECT rl."entityId", max(r.number) AS number FROM "Release" rl JOIN "Revision" r ON r.id = rl."revisionId"
        WHERE rl."channelId" = ANY($1) AND rl.action = 'RELEASE' GROUP BY rl."entityId"`,
      [scoped],
    );
    for (const row of rows) latest.set(row.entityId, row.number);
  }

  const edges = entities.map((entity) => {
    const right = rights.get(entity.id)!;
    const rows = channelsOf.get(entity.id) ?? [];
    const numbers = new Map(rows.flatMap((row) => (row.revisionId !== null && row.number !== null ? [[row.revisionId, row.number] as const] : [])));
    const pointers = rows.map((row) => ({
      track: row.track,
      risk: row.risk.toLowerCase() as RiskName,
      branch: row.branch || null,
      revision: row.revisionId,
      closed: row.closed,
      lastReleasedAt: row.lastReleasedAt,
    }));
    const rowIds = new Map(pointers.map((pointer, index) => [formatChannel(pointer), rows[index]!.id]));
    const set = new ChannelSet(pointers, now, BRANCH_TTL_MS);
    const ordered = orderTracks(tracksOf.get(entity.id) ?? [], entity.defaultTrack);
    const revision = (id: number | null) => (id === null ? null : { number: numbers.get(id)! });
    const channelMap = ordered.flatMap((track) =>
      set
        .trackChannels(track.name)
        .filter((status) => right.channel(status.channel.track, status.channel.risk))
        .map((status) => {
          const served = status.servedBy && right.channel(status.servedBy.track, status.servedBy.risk) ? status.servedBy : null;
          const name = formatChannel(status.channel);
          const rowId = rowIds.get(name);
          return {
            name,
            closed: status.closed,
            follows: status.revision === null && served ? formatChannel(served) : null,
            revision: revision(status.revision),
            effectiveRevision: revision(served ? status.effectiveRevision : null),
            history: {
              edges: (rowId === undefined ? [] : (historyOf.get(rowId) ?? [])).map((entry) => ({
                node: {
                  action: entry.action,
                  releasedBy: entry.username,
                  revision: entry.number === null ? null : { number: entry.number },
                  resources: [...entry.resources].sort((a, b) => a.name.localeCompare(b.name)),
                },
              })),
            },
          };
        }),
    );
    const latestNumber = latest.get(entity.id);
    return {
      node: {
        url: formatEntityUrl({ owner: entity.owner, name: entity.name, isBundle: entity.kind === 'BUNDLE' }),
        tracks: ordered.map((track) => ({ name: track.name })),
        latestRevision: latestNumber === undefined ? null : { number: latestNumber },
        resources: (resourcesOf.get(entity.id) ?? []).map((row) => ({ name: row.name })),
        channelMap,
      },
    };
  });
  return { data: { entities: { edges } } };
}

async function resolve(query: Query, caller: Caller, urlText: string, channelText: string | undefined): Promise<unknown> {
  const url = parseEntityUrl(urlText);
  const [entity] = await query<EntityRow & { channels: Array<Omit<ChannelRow, 'lastReleasedAt'> & { lastReleasedAt: string | null }>; tracks: string[]; everyone: string[] }>(
    `SELECT e.id, e.name, e.kind::text AS kind, e.private, e."defaultTrack", n.name AS owner,
            (SELECT coalesce(json_agg(json_build_object('id', c.id, 'track', c.track, 'risk', c.risk, 'branch', c.branch, 'revisionId', c."revisionId",
                     'number', r.number, 'closed', c.closed, 'lastReleasedAt', c."lastReleasedAt")), '[]')
               FROM "Channel" c LEFT JOIN "Revision" r ON r.id = c."revisionId" WHERE c."entityId" = e.id) AS channels,
            ARRAY(SELECT t.name FROM "Track" t WHERE t."entityId" = e.id) AS tracks,
            ARRAY(SELECT a.channel FROM "AclEntry" a WHERE a."entityId" = e.id AND a.principal = 'everyone') AS everyone
       FROM "Entity" e JOIN "Namespace" n ON n.id = e."namespaceId"
      WHERE n.name = $1 AND e.name = $2 ${caller === 'admin' ? '' : `AND ${VISIBLE_TO_ANYBODY}`}`,
    [url.owner, url.name],
  );
  if (!entity) throw new Error(`raw resolve: ${urlText} not found`);
  const right = new Rights(caller, entity.private, entity.everyone);
  const requested: ChannelName = channelText ? parseChannel(channelText, entity.defaultTrack) : { track: entity.defaultTrack, risk: 'stable', branch: null };
  const pointers = entity.channels.map((row) => ({
    track: row.track,
    risk: row.risk.toLowerCase() as RiskName,
    branch: row.branch || null,
    revision: row.revisionId,
    closed: row.closed,
    lastReleasedAt: row.lastReleasedAt === null ? null : new Date(row.lastReleasedAt),
  }));
  const status = new ChannelSet(pointers, new Date(), BRANCH_TTL_MS).status(requested);
  const served = status.servedBy;
  if (!served || status.effectiveRevision === null || !right.channel(requested.track, requested.risk) || !right.channel(served.track, served.risk)) {
    throw new Error(`raw resolve: nothing released in ${formatChannel(requested)}`);
  }
  const serving = entity.channels[pointers.findIndex((pointer) => formatChannel(pointer) === formatChannel(served))]!;
  const resources = await query<{ name: string; revision: number }>(
    `SELECT res.name, rr.revision FROM "ReleaseResource" p JOIN "ResourceRevision" rr ON rr.id = p."resourceRevisionId" JOIN "Resource" res ON res.id = rr."resourceId"
      WHERE p."releaseId" = (SELECT id FROM "Release" WHERE "channelId" = $1 ORDER BY id DESC LIMIT 1) ORDER BY p."resourceRevisionId"`,
    [serving.id],
  );
  return {
    data: {
      resolve: {
        channel: formatChannel(served),
        requestedChannel: formatChannel(requested),
        revision: { number: serving.number },
        resources,
      },
    },
  };
}

async function main(): Promise<void> {
  const query = await openQuery();
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://raw');
    void (async () => {
      try {
        const caller = await callerOf(query, request.headers.authorization);
        if (!caller) throw new Error('raw: only an unscoped admin token or none');
        const body =
          url.pathname === '/dashboard'
            ? await dashboard(query, caller, Number(url.searchParams.get('first') ?? 100))
            : await resolve(query, caller, url.searchParams.get('url') ?? '', url.searchParams.get('channel') ?? undefined);
        const text = JSON.stringify(body);
        response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
        response.end(text);
      } catch (error) {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(String(error instanceof Error ? error.stack : error));
      }
    })();
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

await main();
