import { createHash } from 'node:crypto';
import type { EntityKind } from '../../src/generated/prisma/client.js';
import { createEntity } from '../../src/services/entities/create-entity.js';
import { AddGroupMemberDocument, CreateGroupDocument } from '../generated/graphql.js';
import { createUserAndLogin } from './accounts.js';
import type { TestStore } from './store.js';

/**
 * Chained fixtures for tests: users and groups go through the API; entities,
 * revisions and resource revisions are written straight into the database
 * (as a push would leave them), so that channel tests do not depend on the
 * push pipeline. Contents are fake: hashes of a fixture label, never a real archive.
 *
 *   const kirk = await seed(store, adminToken).user('kirk');
 *   const foo = await kirk.charm('foo', { revisions: 11, resources: { data: 'file' } });
 *   await foo.pushResource('data', 3);
 */
export function seed(store: TestStore, adminToken: string) {
  const prisma = store.database.db.prisma;

  async function entityIn(owner: string, pusherId: number, name: string, options: EntityOptions = {}): Promise<SeededEntity> {
    const namespace = await prisma.namespace.findUniqueOrThrow({ where: { name: owner } });
    const kind: EntityKind = options.kind ?? 'CHARM';
    const { entity } = await prisma.$transaction((tx) =>
      createEntity(tx, { namespaceId: namespace.id, ownerName: owner, name, kind, private: options.private ?? true, now: store.clock.now }),
    );
    const seeded = new SeededEntity(store, entity.id, `cs:~${owner}/${kind === 'BUNDLE' ? 'bundle/' : ''}${name}`, pusherId);
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
    for (let i = 0; i < count; i++) {
      const { nextRevision: number } = await this.prisma.entity.update({
        where: { id: this.id },
        data: { nextRevision: { increment: 1 } },
        select: { nextRevision: true },
      });
      const label = `fixture ${this.url}-${number - 1}`;
      await this.prisma.revision.create({
        data: {
          entityId: this.id,
          number: number - 1,
          sha384: createHash('sha384').update(label).digest('hex'),
          sha256: createHash('sha256').update(label).digest('hex'),
          size: BigInt(label.length),
          createdAt: this.store.clock.now,
          createdById: this.pusherId,
          summary: label,
          series: [],
          metadata: { name: this.url.split('/').pop()!, resources: Object.fromEntries(Object.entries(this.resources).map(([name, type]) => [name, { type }])) },
        },
      });
    }
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
}
