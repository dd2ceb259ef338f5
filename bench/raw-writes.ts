/**
 * The raw baseline of `npm run bench:writes`: node:http and `pg` doing the
 * least a push and a release must do, answering the JSON the store answers
 * for the benchmark's selections.
 *
 * - push (POST /push, the same GraphQL multipart body the store gets, with
 *   `url` naming an existing entity): authenticates the token (one
 *   statement), hashes the archive (SHA-384 and SHA-256), writes the blob to
 *   a staging file, fsyncs it and renames it into place, then one
 *   transaction: bump the entity's revision counter, insert the revision.
 *   It reads metadata.yaml out of the archive (its central directory, that
 *   one entry, inflated, parsed as YAML: what any push needs to learn the
 *   charm's name and declared resources, stored with the revision) but
 *   checks nothing else of it (other entries, paths, sizes, CRCs), nor
 *   rights beyond the token. (Before 2026-11-30 it did not open the archive
 *   at all: docs/performance.md shows both.)
 * - release (POST /release, JSON `{ url, revision, channels }`, full channel
 *   names): authenticates, then one transaction: lock the entity with its
 *   revision, upsert the channel pointers, append the releases.
 *
 * Run as its own process on the store's database (RAW_DATABASE_URL,
 * RAW_SCHEMA) with its own blob directory (RAW_BLOB_DIR); prints its url.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { parse as parseYaml } from 'yaml';
import yauzl from 'yauzl';
import { formatEntityUrl, parseEntityUrl } from '../src/domain/entity-url.js';

const schema = process.env.RAW_SCHEMA;
const pool = new pg.Pool({
  connectionString: process.env.RAW_DATABASE_URL,
  max: 10,
  options: ['-c jit=off', schema ? `-c search_path=${schema}` : ''].filter(Boolean).join(' '),
});
const blobDir = process.env.RAW_BLOB_DIR!;

async function userOf(authorization: string | undefined): Promise<number> {
  const secret = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1] ?? '';
  const { rows } = await pool.query<{ userId: number }>(
    `SELECT t."userId" FROM "Token" t WHERE t."secretHash" = $1 AND t."revokedAt" IS NULL AND t."expiresAt" > now()`,
    [createHash('sha256').update(secret).digest('hex')],
  );
  if (!rows[0]) throw new Error('raw: unknown token');
  return rows[0].userId;
}

async function inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

async function writeBlob(sha384: string, bytes: Uint8Array): Promise<void> {
  const staging = path.join(blobDir, `.staging-${randomBytes(8).toString('hex')}`);
  const file = await fs.open(staging, 'w');
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
  await fs.rename(staging, path.join(blobDir, sha384));
}

/** metadata.yaml of a zip in memory, parsed: the least a push must read of the archive. */
async function readMetadata(bytes: Buffer): Promise<Record<string, unknown>> {
  const zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true });
  try {
    for (;;) {
      const entry = await new Promise<yauzl.Entry | null>((resolve, reject) => {
        const settle = (value: yauzl.Entry | null, error?: Error) => {
          zip.off('entry', onEntry).off('end', onEnd).off('error', onError);
          if (error) reject(error);
          else resolve(value);
        };
        const onEntry = (found: yauzl.Entry) => settle(found);
        const onEnd = () => settle(null);
        const onError = (error: Error) => settle(null, error);
        zip.on('entry', onEntry).on('end', onEnd).on('error', onError);
        zip.readEntry();
      });
      if (!entry) throw new Error('raw: no metadata.yaml');
      if (entry.fileName !== 'metadata.yaml') continue;
      const chunks: Buffer[] = [];
      for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
      return parseYaml(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    }
  } finally {
    zip.close();
  }
}

async function push(request: http.IncomingMessage): Promise<unknown> {
  const userId = await userOf(request.headers.authorization);
  const form = await new Request('http://raw/push', {
    method: 'POST',
    headers: { 'content-type': request.headers['content-type'] ?? '' },
    body: request as unknown as ReadableStream,
    duplex: 'half',
  } as RequestInit).formData();
  const operations = JSON.parse(String(form.get('operations'))) as { variables: { input: { url: string } } };
  const bytes = Buffer.from(await (form.get('0') as File).arrayBuffer());
  const metadata = await readMetadata(bytes);
  const sha384 = createHash('sha384').update(bytes).digest('hex');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  await writeBlob(sha384, bytes);
  const url = parseEntityUrl(operations.variables.input.url);
  const number = await inTransaction(async (client) => {
    const bumped = await client.query<{ id: number; number: number }>(
      `UPDATE "Entity" e SET "nextRevision" = e."nextRevision" + 1, "updatedAt" = now() FROM "Namespace" n
        WHERE n.id = e."namespaceId" AND n.name = $1 AND e.name = $2 RETURNING e.id, e."nextRevision" - 1 AS number`,
      [url.owner, url.name],
    );
    const entity = bumped.rows[0]!;
    await client.query(
      `INSERT INTO "Revision" ("entityId", number, sha384, sha256, size, "createdAt", "createdById", series, bases, metadata)
       VALUES ($1, $2, $3, $4, $5, now(), $6, '{}', '[]', $7)`,
      [entity.id, entity.number, sha384, sha256, bytes.length, userId, JSON.stringify(metadata)],
    );
    return entity.number;
  });
  const revisionUrl = formatEntityUrl({ owner: url.owner!, name: url.name, isBundle: false }, number);
  return { data: { push: { __typename: 'PushSuccess', duplicate: false, revision: { number, url: revisionUrl } } } };
}

async function release(request: http.IncomingMessage): Promise<unknown> {
  const userId = await userOf(request.headers.authorization);
  let text = '';
  for await (const chunk of request) text += chunk;
  const input = JSON.parse(text) as { url: string; revision: number; channels: string[] };
  const url = parseEntityUrl(input.url);
  const channels = input.channels.map((name) => {
    const [track, risk] = name.split('/') as [string, string];
    return { track, risk: risk.toUpperCase(), name };
  });
  await inTransaction(async (client) => {
    const locked = await client.query<{ id: number; revisionId: number }>(
      `SELECT e.id, r.id AS "revisionId" FROM "Entity" e JOIN "Namespace" n ON n.id = e."namespaceId"
         JOIN "Revision" r ON r."entityId" = e.id AND r.number = $3
        WHERE n.name = $1 AND e.name = $2 FOR UPDATE OF e`,
      [url.owner, url.name, input.revision],
    );
    const { id, revisionId } = locked.rows[0]!;
    const pointers = await client.query<{ id: number }>(
      `INSERT INTO "Channel" ("entityId", track, risk, branch, "revisionId", closed, "lastReleasedAt", "updatedAt")
       SELECT $1, c.track, c.risk::"Risk", '', $2, false, now(), now() FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS c(track, risk, position)
       ORDER BY c.position
       ON CONFLICT ("entityId", track, risk, branch) DO UPDATE SET "revisionId" = EXCLUDED."revisionId", closed = false,
         "lastReleasedAt" = EXCLUDED."lastReleasedAt", "updatedAt" = EXCLUDED."updatedAt"
       RETURNING id`,
      [id, revisionId, channels.map((channel) => channel.track), channels.map((channel) => channel.risk)],
    );
    await client.query(
      `INSERT INTO "Release" ("channelId", "entityId", action, "revisionId", "createdAt", "createdById")
       SELECT channel, $2, 'RELEASE', $3, now(), $4 FROM unnest($1::int[]) AS channel`,
      [pointers.rows.map((row) => row.id), id, revisionId, userId],
    );
  });
  return { data: { release: { __typename: 'ReleaseSuccess', releases: channels.map((channel) => ({ channel: channel.name })) } } };
}

const server = http.createServer((request, response) => {
  void (async () => {
    try {
      const body = request.url === '/push' ? await push(request) : await release(request);
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
process.on('SIGTERM', () => server.close(() => void pool.end().then(() => process.exit(0))));
