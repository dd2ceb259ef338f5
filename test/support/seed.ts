import { createHash } from 'node:crypto';
import { LATEST_TRACK, parseChannel } from '../../src/domain/channel.js';
import { Prisma, type EntityKind } from '../../src/generated/prisma/client.js';
import { riskToDb } from '../../src/services/channels/channel-state.js';
import { createEntity } from '../../src/services/entities/create-entity.js';
import { prismaExecutor } from '../../src/db/sql-executor.js';
import { AddGroupMemberDocument, CreateGroupDocument } from '../generated/graphql.js';
import { createUserAndLogin } from './accounts.js';
import type { TestStore } from './store.js';

/**
 * Chained fixtures for tests: users and groups go through the API; entities,
 * revisions, resource revisions, tracks and releases are written straight
 * into the database (as a push or a release would leave them), so that tests
 * of reads do not depend on the push pipeline and a catalogue of a hundred
 * charms takes a second rather than minutes of API calls. Contents are fake:
 * hashes of a fixture label, never a real archive. Tests of pushing and
 * releasing themselves go through the API.
 *
 *   const kirk = await seed(store, adminToken).user('kirk');
 *   const foo = await kirk.charm('foo', { revisions: 11, resources: { data: 'file' } });
 *   await foo.pushResource('data', 3);
 *   await (await kirk.charm('bar', { revisions: 2 })).track('2.0').release(1, ['stable', '2.0/beta']);
 */
export function seed(store: TestStore, adminToken: string) {
  const prisma = store.database.db.prisma;

  /** Namespace ids by name, looked up once per owner (a catalogue seeds many entities per owner). */
  const namespaceIds = new Map<string, Promise<number>>();
  const namespaceIdOf = (owner: string) => {
    let id = namespaceIds.get(owner);
    if (!id) namespaceIds.set(owner, (id = prisma.namespace.findUniqueOrThrow({ where: { name: owner }, select: { id: true } }).then((row) => row.id)));
    return id;
  };

  async function entityIn(owner: string, pusherId: number, name: string, options: EntityOptions = {}): Promise<SeededEntity> {
    const kind: EntityKind = options.kind ?? 'CHARM';
    // One statement (the entity, its ACL and its track): no transaction needed around it.
    const { entity } = await createEntity(prismaExecutor(prisma), {
      namespaceId: await namespaceIdOf(owner),
      ownerName: owner,
      name,
      kind,
      private: options.private ?? true,
      now: store.clock.now,
    });
    const seeded = new SeededEntity(store, entity.id, `cs:~${owner}/${kind === 'BUNDLE' ? 'bundle/' : ''}${name}`, pusherId);
    if (options.tracks) for (const track of options.tracks) await seeded.track(track);
    if (options.resources) await seeded.declareResources(options.resources);
    if (options.revisions) await seeded.pushRevisions(options.revisions);
    return seeded;
  }

  async function user(username: string): Promise<SeededUser> {
    const token = await createUserAndLogin(store, adminToken, username);
    const row = await prisma.user.findUniqueOrThrow({ where: { username } });
    return {
      username,
      token,
      userId: row.id,
      charm: (name, options) => entityIn(username, row.id, name, options),
      bundle: (name, options) => entityIn(username, row.id, name, { ...options, kind: 'BUNDLE' }),
    };
  }

  async function group(name: string, members: SeededUser[]): Promise<SeededGroup> {
    const created = await store.execute(CreateGroupDocument, { input: { name } }, { token: adminToken });
    if (created.data?.createGroup.__typename !== 'CreateGroupSuccess') throw new Error(`createGroup ${name}: ${JSON.stringify(created)}`);
    for (const member of members) {
      const added = await store.execute(AddGroupMemberDocument, { input: { group: name, username: member.username } }, { token: adminToken });
      if (added.data?.addGroupMember.__typename !== 'AddGroupMemberSuccess') throw new Error(`addGroupMember: ${JSON.stringify(added)}`);
    }
    return { name, charm: (charmName, pusher, options) => entityIn(name, pusher.userId, charmName, options) };
  }

  return { user, group };
}

export interface EntityOptions {
  kind?: EntityKind;
  /** How many revisions to push at once (0, 1, 2, ...). */
  revisions?: number;
  /** Resources every revision declares (metadata.yaml `resources`), by name and type. */
  resources?: Record<string, 'file' | 'oci-image'>;
  private?: boolean;
  /** Tracks besides "latest" to create. */
  tracks?: string[];
}

export interface SeededUser {
  username: string;
  token: string;
  userId: number;
  charm(name: string, options?: EntityOptions): Promise<SeededEntity>;
  bundle(name: string, options?: EntityOptions): Promise<SeededEntity>;
}

export interface SeededGroup {
  name: string;
  charm(name: string, pusher: SeededUser, options?: EntityOptions): Promise<SeededEntity>;
}

export class SeededEntity {
  private resources: Record<string, 'file' | 'oci-image'> = {};

  constructor(
    private readonly store: TestStore,
    readonly id: number,
    readonly url: string,
    private readonly pusherId: number,
  ) {}

  private get prisma() {
    return this.store.database.db.prisma;
  }

  /** Resources that revisions pushed from now on declare; creates their Resource rows. */
  async declareResources(resources: Record<string, 'file' | 'oci-image'>): Promise<this> {
    this.resources = { ...this.resources, ...resources };
    for (const [name, type] of Object.entries(resources)) {
      await this.prisma.resource.upsert({
        where: { entityId_name: { entityId: this.id, name } },
        create: { entityId: this.id, name, type, createdAt: this.store.clock.now },
        update: {},
      });
    }
    return this;
  }

  /** Adds `count` revisions with the next numbers, declaring the current resources. */
  async pushRevisions(count: number): Promise<this> {
    if (count <= 0) return this;
    const metadata = JSON.stringify({
      name: this.url.split('/').pop()!,
      resources: Object.fromEntries(Object.entries(this.resources).map(([name, type]) => [name, { type }])),
    });
    // One statement: the entity's next numbers and the revisions (ids ascending
    // with their numbers), their digests and summary those of a fixture label.
    const [row] = await prismaExecutor(this.prisma).query<{ pushed: number }>(Prisma.sql`
      WITH bumped AS (
        UPDATE "Entity" SET "nextRevision" = "nextRevision" + ${count}::int WHERE "id" = ${this.id}::int RETURNING "nextRevision"
      ),
      labelled AS (
        SELECT b."nextRevision" - ${count}::int + i AS "number", 'fixture ' || ${this.url}::text || '-' || (b."nextRevision" - ${count}::int + i) AS "label"
        FROM bumped b CROSS JOIN generate_series(0, ${count - 1}::int) AS i
      ),
      pushed AS (
        INSERT INTO "Revision" ("entityId", "number", "sha384", "sha256", "size", "createdAt", "createdById", "summary", "series", "metadata")
        SELECT ${this.id}::int, l."number", encode(sha384(convert_to(l."label", 'UTF8')), 'hex'), encode(sha256(convert_to(l."label", 'UTF8')), 'hex'),
          octet_length(l."label"), ${this.store.clock.now}, ${this.pusherId}::int, l."label", '{}'::text[], ${metadata}::jsonb
        FROM labelled l ORDER BY l."number"
        RETURNING 1
      )
      SELECT count(*)::int AS "pushed" FROM pushed`);
    if (Number(row?.pushed) !== count) throw new Error(`seed: push ${count} revisions of ${this.url}: pushed ${String(row?.pushed)}`);
    return this;
  }

  /** Adds `count` revisions of a declared resource (0, 1, 2, ...). */
  async pushResource(name: string, count = 1): Promise<this> {
    for (let i = 0; i < count; i++) {
      const { id, nextRevision } = await this.prisma.resource.update({
        where: { entityId_name: { entityId: this.id, name } },
        data: { nextRevision: { increment: 1 } },
        select: { id: true, nextRevision: true },
      });
      const label = `fixture ${this.url} resource ${name} ${nextRevision - 1}`;
      await this.prisma.resourceRevision.create({
        data: {
          resourceId: id,
          revision: nextRevision - 1,
          sha384: createHash('sha384').update(label).digest('hex'),
          sha256: createHash('sha256').update(label).digest('hex'),
          size: BigInt(label.length),
          createdAt: this.store.clock.now,
          createdById: this.pusherId,
        },
      });
    }
    return this;
  }

  /** Adds a track (as createTrack would, without the audit event). */
  async track(name: string): Promise<this> {
    await this.prisma.track.create({ data: { entityId: this.id, name, createdAt: this.store.clock.now } });
    return this;
  }

  /**
   * Points each channel at the revision and appends the release to its
   * history, as the release mutation would (without the audit event). Only
   * for revisions that declare no resources: pinning resources is the
   * release mutation's business, tested through the API.
   */
  async release(revision: number, channels: string[]): Promise<this> {
    if (Object.keys(this.resources).length > 0) throw new Error(`seed: release ${this.url} through the API, it declares resources`);
    const wanted = JSON.stringify(
      channels.map((name, i) => {
        const channel = parseChannel(name, LATEST_TRACK);
        return { i, track: channel.track, risk: riskToDb(channel.risk), branch: channel.branch ?? '' };
      }),
    );
    const now = this.store.clock.now;
    // One statement (a catalogue seeds hundreds of releases; a statement per
    // channel cost ~1.5 ms of CPU each on PGlite): the revision's id, each
    // channel's pointer (created when new), and the history entries in the
    // order of `channels` (ids ascending). No revision, no rows: refused below.
    const [row] = await prismaExecutor(this.prisma).query<{ released: number }>(Prisma.sql`
      WITH revision AS (
        SELECT "id" FROM "Revision" WHERE "entityId" = ${this.id}::int AND "number" = ${revision}::int
      ),
      wanted AS (
        SELECT * FROM jsonb_to_recordset(${wanted}::jsonb) AS t("i" int, "track" text, "risk" text, "branch" text)
      ),
      pointed AS (
        INSERT INTO "Channel" ("entityId", "track", "risk", "branch", "revisionId", "closed", "lastReleasedAt", "updatedAt")
        SELECT ${this.id}::int, w."track", w."risk"::"Risk", w."branch", revision."id", false, ${now}, ${now} FROM wanted w CROSS JOIN revision
        ON CONFLICT ("entityId", "track", "risk", "branch") DO UPDATE SET
          "revisionId" = EXCLUDED."revisionId", "closed" = false, "lastReleasedAt" = EXCLUDED."lastReleasedAt", "updatedAt" = EXCLUDED."updatedAt"
        RETURNING "id", "track", "risk"::text AS "risk", "branch", "revisionId"
      ),
      released AS (
        INSERT INTO "Release" ("channelId", "entityId", "action", "revisionId", "createdAt", "createdById")
        SELECT p."id", ${this.id}::int, 'RELEASE'::"ReleaseAction", p."revisionId", ${now}, ${this.pusherId}::int
        FROM wanted w JOIN pointed p ON p."track" = w."track" AND p."risk" = w."risk" AND p."branch" = w."branch"
        ORDER BY w."i"
        RETURNING "id"
      )
      SELECT count(*)::int AS "released" FROM released`);
    if (Number(row?.released) !== channels.length) throw new Error(`seed: release ${this.url}-${revision} to ${channels.join(', ')}: no such revision`);
    return this;
  }
}
