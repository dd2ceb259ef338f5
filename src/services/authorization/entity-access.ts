import { type AclKind, type EntityKind, Prisma } from '../../generated/prisma/client.js';
import { RISKS, type RiskName, UNPUBLISHED } from '../../domain/channel.js';
import { formatEntityUrl } from '../../domain/entity-url.js';
import { NotFoundError, PermissionDeniedError } from '../../domain/errors.js';
import { EVERYONE } from '../../domain/names.js';
import { tokenChannelCovers } from '../../domain/token-scope.js';
import { ANONYMOUS, type Caller } from './caller.js';
import { type Permission, tokenPermits } from './permissions.js';

/** What the authorization rules need to know about an entity. */
export interface EntityAccessRecord {
  id: number;
  name: string;
  kind: EntityKind;
  private: boolean;
  namespace: { name: string };
  acl: Array<{ channel: string; kind: AclKind; principal: string }>;
}

/** One ACL channel with its two lists, as `Entity.acl` shows it. */
export interface AclListsView {
  channel: string;
  read: string[];
  write: string[];
}

/** Prisma `select` for an EntityAccessRecord. */
export const entityAccessSelect = {
  id: true,
  name: true,
  kind: true,
  private: true,
  namespace: { select: { name: true } },
  acl: { select: { channel: true, kind: true, principal: true } },
} satisfies Prisma.EntitySelect;

export function entityUrlOf(entity: { name: string; kind: EntityKind; namespace: { name: string } }, revision?: number): string {
  return formatEntityUrl({ owner: entity.namespace.name, name: entity.name, isBundle: entity.kind === 'BUNDLE' }, revision);
}

/**
 * The one place that decides what a caller may do with an entity. Rules:
 * owners (the user, or members of the owning group) and admins may do
 * everything; read on a channel = see and resolve it, its history and the
 * revisions released there; read on `unpublished` = every revision; write on
 * `unpublished` = push; write on a channel = release to / close it, and
 * includes read there; a public entity lets everyone read every released
 * channel. A scoped token narrows the caller's own rights further, never
 * widens them; it never does less than no token at all, though: what
 * `everyone` may read (public entities, lists naming `everyone`) stays
 * readable with any token, since dropping the header would give it anyway.
 */
export class EntityAccess {
  constructor(
    readonly entity: EntityAccessRecord,
    readonly caller: Caller,
  ) {}

  get url(): string {
    return entityUrlOf(this.entity);
  }

  get isAdmin(): boolean {
    return this.caller.isAdmin;
  }

  /** The owning user, or a member of the owning group. */
  get isOwner(): boolean {
    return this.caller.actor !== null && this.caller.principals.includes(this.entity.namespace.name);
  }

  private get isOwnerOrAdmin(): boolean {
    return this.isAdmin || this.isOwner;
  }

  /** The token in use allows `permission` on this entity. */
  tokenAllows(permission: Permission): boolean {
    const actor = this.caller.actor;
    if (!actor) return true;
    if (!tokenPermits(actor.permissions, permission)) return false;
    return actor.entities.length === 0 || actor.entities.includes(this.url);
  }

  private listed(kinds: AclKind[], matches: (channel: string) => boolean): boolean {
    return this.entity.acl.some(
      (entry) => kinds.includes(entry.kind) && this.caller.principals.includes(entry.principal) && matches(entry.channel),
    );
  }

  private static riskMatcher(track: string, risk: RiskName) {
    return (channel: string) => channel === risk || channel === `${track}/${risk}`;
  }

  /** A read right: the caller's own (within the token's limits), or what anybody has. */
  private canRead(permission: Permission, rule: (access: EntityAccess) => boolean): boolean {
    if (this.tokenAllows(permission) && rule(this)) return true;
    return this.caller.actor !== null && rule(new EntityAccess(this.entity, ANONYMOUS));
  }

  /** The entity exists for the caller at all. */
  canView(): boolean {
    return this.canRead(
      'package-view',
      (access) => access.isOwnerOrAdmin || !access.entity.private || access.entity.acl.some((entry) => access.caller.principals.includes(entry.principal)),
    );
  }

  canReadUnpublished(): boolean {
    return this.canRead('package-view-revisions', (access) => access.isOwnerOrAdmin || access.listed(['READ', 'WRITE'], (channel) => channel === UNPUBLISHED));
  }

  canWriteUnpublished(): boolean {
    if (!this.tokenAllows('package-manage-revisions')) return false;
    return this.isOwnerOrAdmin || this.listed(['WRITE'], (channel) => channel === UNPUBLISHED);
  }

  canReadChannel(track: string, risk: RiskName): boolean {
    return this.canRead(
      'package-view-releases',
      (access) => access.isOwnerOrAdmin || !access.entity.private || access.listed(['READ', 'WRITE'], EntityAccess.riskMatcher(track, risk)),
    );
  }

  /** Release to or close `track/risk[/branch]`; `fullName` is checked against the token's channel limits. */
  canWriteChannel(track: string, risk: RiskName, fullName: string): boolean {
    if (!this.tokenAllows('package-manage-releases')) return false;
    if (!tokenChannelCovers(this.caller.actor?.channels ?? [], track, risk, fullName)) return false;
    return this.isOwnerOrAdmin || this.listed(['WRITE'], EntityAccess.riskMatcher(track, risk));
  }

  /** Whether the caller writes to any list: writers see the ACL lists in full. */
  isWriter(): boolean {
    return this.isOwnerOrAdmin || this.listed(['WRITE'], () => true);
  }

  /**
   * The ACL lists as the caller may see them: in full for writers (whose
   * token allows package-view-acl), otherwise only the principals that are
   * the caller (their user, their groups, `everyone`), and only the channels
   * where one of them appears.
   */
  visibleAcl(): AclListsView[] {
    const full = this.isWriter() && this.tokenAllows('package-view-acl');
    const lists = new Map<string, AclListsView>();
    for (const entry of this.entity.acl) {
      if (!full && !this.caller.principals.includes(entry.principal)) continue;
      let list = lists.get(entry.channel);
      if (!list) lists.set(entry.channel, (list = { channel: entry.channel, read: [], write: [] }));
      (entry.kind === 'READ' ? list.read : list.write).push(entry.principal);
    }
    for (const list of lists.values()) {
      list.read.sort();
      list.write.sort();
    }
    return [...lists.values()].sort((a, b) => aclChannelOrder(a.channel) - aclChannelOrder(b.channel) || a.channel.localeCompare(b.channel));
  }

  /** Download statistics: owners and admins, with a token allowing package-view-metrics. */
  canViewMetrics(): boolean {
    return this.tokenAllows('package-view-metrics') && this.isOwnerOrAdmin;
  }

  /**
   * The audit log of the entity: owners and admins, with a token that may
   * see everything the log shows. Its events name every principal granted
   * or revoked (what package-view-acl guards), every pushed revision,
   * unpublished ones included (package-view-revisions), every release and
   * close (package-view-releases), and tracks, names and privacy
   * (package-view-metadata); so a token limited to some of these reads no
   * audit log at all rather than a filtered one.
   */
  canReadAuditLog(): boolean {
    return this.isOwnerOrAdmin && AUDIT_LOG_PERMISSIONS.every((permission) => this.tokenAllows(permission));
  }

  /**
   * Owners and admins only: ACLs and privacy (package-manage-acl); tracks and
   * the default track (package-manage-metadata); unregistering the name
   * (account-register-package).
   */
  canManage(permission: 'package-manage-acl' | 'package-manage-metadata' | 'account-register-package'): boolean {
    return this.tokenAllows(permission) && this.isOwnerOrAdmin;
  }

  /**
   * Create track `name`: whoever manages the entity's metadata, or, when an
   * admin set a guardrail pattern that `name` matches, whoever may write to
   * some risk of that track.
   */
  canCreateTrack(name: string, guardrail: string | null): boolean {
    if (this.canManage('package-manage-metadata')) return true;
    if (guardrail === null || !new RegExp(`^(?:${guardrail})$`).test(name)) return false;
    return RISKS.some((risk) => this.canWriteChannel(name, risk, `${name}/${risk}`));
  }

  /** The per-entity track guardrail is set by store administrators only. */
  canSetTrackGuardrail(): boolean {
    return this.isAdmin && this.tokenAllows('package-manage-metadata');
  }

  /** Throws NotFoundError unless the caller can see the entity, so that private means invisible. */
  requireView(what: string): this {
    if (!this.canView()) throw notFound(what);
    return this;
  }

  deny(message: string): never {
    throw new PermissionDeniedError(message);
  }
}

/** What a token must allow to read an entity's audit log: everything the events show. */
export const AUDIT_LOG_PERMISSIONS: readonly Permission[] = ['package-view-acl', 'package-view-revisions', 'package-view-releases', 'package-view-metadata'];

export function notFound(url: string): NotFoundError {
  return new NotFoundError(`No charm or bundle matches "${url}" (or you may not see it)`);
}

/** unpublished, then the risks from stable to edge, then track-narrowed lists by their risk. */
function aclChannelOrder(channel: string): number {
  if (channel === UNPUBLISHED) return 0;
  const risk = channel.split('/').pop() as RiskName;
  return 1 + RISKS.indexOf(risk) + (channel.includes('/') ? RISKS.length : 0);
}

/**
 * The same visibility rule as EntityAccess.canView, as a SQL filter, so that
 * lists are filtered by the database and never after fetching: what anybody
 * may see, plus (within the token's limits) what the caller may see.
 */
export function visibleEntityWhere(caller: Caller): Prisma.EntityWhereInput {
  const anybody: Prisma.EntityWhereInput = { OR: [{ private: false }, { acl: { some: { principal: EVERYONE } } }] };
  const actor = caller.actor;
  if (!actor || !tokenPermits(actor.permissions, 'package-view')) return anybody;
  const own: Prisma.EntityWhereInput = caller.isAdmin
    ? {}
    : {
        OR: [
          { private: false },
          { namespace: { name: { in: ownNames(caller) } } },
          { acl: { some: { principal: { in: caller.principals } } } },
        ],
      };
  if (actor.entities.length === 0) return own;
  const tokenEntities = actor.entities.map(parseCanonicalUrl).map(({ owner, name }) => ({ name, namespace: { name: owner } }));
  return { OR: [anybody, { AND: [{ OR: tokenEntities }, own] }] };
}

/** The user and group names the caller acts as (owners of their namespaces). */
function ownNames(caller: Caller): string[] {
  return caller.principals.filter((principal) => principal !== EVERYONE);
}

function parseCanonicalUrl(url: string): { owner: string; name: string } {
  const match = /^cs:~([^/]+)\/(?:bundle\/)?([^/]+)$/.exec(url);
  return { owner: match?.[1] ?? '', name: match?.[2] ?? '' };
}

/**
 * visibleEntityWhere as a raw SQL condition on the `"Entity"` row aliased
 * `alias`, for the queries Prisma cannot express (full-text search ranking).
 * It must say exactly what visibleEntityWhere says; the search tests compare them.
 */
export function visibleEntitySql(caller: Caller, alias: string): Prisma.Sql {
  const e = Prisma.raw(`"${alias}"`);
  const anybody = Prisma.sql`(NOT ${e}."private" OR EXISTS (SELECT 1 FROM "AclEntry" pa WHERE pa."entityId" = ${e}."id" AND pa."principal" = ${EVERYONE}))`;
  const actor = caller.actor;
  if (!actor || !tokenPermits(actor.permissions, 'package-view')) return anybody;
  const names = ownNames(caller);
  const owned = names.length
    ? Prisma.sql`EXISTS (SELECT 1 FROM "Namespace" n WHERE n."id" = ${e}."namespaceId" AND n."name" IN (${Prisma.join(names)}))`
    : Prisma.sql`FALSE`;
  const own = caller.isAdmin
    ? Prisma.sql`TRUE`
    : Prisma.sql`(NOT ${e}."private" OR ${owned} OR EXISTS (
        SELECT 1 FROM "AclEntry" a WHERE a."entityId" = ${e}."id" AND a."principal" IN (${Prisma.join(caller.principals)})))`;
  if (actor.entities.length === 0) return own;
  const tokenEntities = actor.entities
    .map(parseCanonicalUrl)
    .map(({ owner, name }) => Prisma.sql`(tn."name" = ${owner} AND ${e}."name" = ${name})`);
  const limited = Prisma.sql`EXISTS (SELECT 1 FROM "Namespace" tn WHERE tn."id" = ${e}."namespaceId" AND (${Prisma.join(tokenEntities, ' OR ')}))`;
  return Prisma.sql`(${anybody} OR (${limited} AND ${own}))`;
}
