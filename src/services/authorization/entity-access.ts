import type { AclKind, EntityKind, Prisma } from '../../generated/prisma/client.js';
import { RISKS, type RiskName, UNPUBLISHED } from '../../domain/channel.js';
import { formatEntityUrl } from '../../domain/entity-url.js';
import { NotFoundError, PermissionDeniedError } from '../../domain/errors.js';
import { EVERYONE } from '../../domain/names.js';
import type { Caller } from './caller.js';
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
 * channel. A scoped token narrows all of this further, never widens it.
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

  /** The entity exists for the caller at all. */
  canView(): boolean {
    if (!this.tokenAllows('package-view')) return false;
    if (this.isOwnerOrAdmin || !this.entity.private) return true;
    return this.entity.acl.some((entry) => this.caller.principals.includes(entry.principal));
  }

  canReadUnpublished(): boolean {
    if (!this.tokenAllows('package-view-revisions')) return false;
    return this.isOwnerOrAdmin || this.listed(['READ', 'WRITE'], (channel) => channel === UNPUBLISHED);
  }

  canWriteUnpublished(): boolean {
    if (!this.tokenAllows('package-manage-revisions')) return false;
    return this.isOwnerOrAdmin || this.listed(['WRITE'], (channel) => channel === UNPUBLISHED);
  }

  canReadChannel(track: string, risk: RiskName): boolean {
    if (!this.tokenAllows('package-view-releases')) return false;
    if (this.isOwnerOrAdmin || !this.entity.private) return true;
    return this.listed(['READ', 'WRITE'], EntityAccess.riskMatcher(track, risk));
  }

  /** Release to or close `track/risk[/branch]`; `fullName` is checked against the token's channel limits. */
  canWriteChannel(track: string, risk: RiskName, fullName: string): boolean {
    if (!this.tokenAllows('package-manage-releases')) return false;
    if (!tokenChannelAllows(this.caller.actor?.channels ?? [], track, risk, fullName)) return false;
    return this.isOwnerOrAdmin || this.listed(['WRITE'], EntityAccess.riskMatcher(track, risk));
  }

  /** Whether the caller writes to any list: writers see the ACL lists in full. */
  isWriter(): boolean {
    return this.isOwnerOrAdmin || this.listed(['WRITE'], () => true);
  }

  canViewAcl(): boolean {
    return this.tokenAllows('package-view-acl');
  }

  /** ACLs, privacy (package-manage-acl); tracks and default track (package-manage-metadata): owners and admins. */
  canManage(permission: 'package-manage-acl' | 'package-manage-metadata'): boolean {
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

export function notFound(url: string): NotFoundError {
  return new NotFoundError(`No charm or bundle matches "${url}" (or you may not see it)`);
}

/** A token limited to channels may only write those: full names, risks on every track, or a track/risk and its branches. */
function tokenChannelAllows(allowed: readonly string[], track: string, risk: RiskName, fullName: string): boolean {
  if (allowed.length === 0) return true;
  return allowed.some((channel) => channel === fullName || channel === risk || channel === `${track}/${risk}`);
}

/**
 * The same visibility rule as EntityAccess.canView, as a SQL filter, so that
 * lists are filtered by the database and never after fetching.
 */
export function visibleEntityWhere(caller: Caller): Prisma.EntityWhereInput {
  const tokenEntities = caller.actor?.entities ?? [];
  const tokenFilter: Prisma.EntityWhereInput = tokenEntities.length
    ? { OR: tokenEntities.map(parseCanonicalUrl).map(({ owner, name }) => ({ name, namespace: { name: owner } })) }
    : {};
  if (caller.actor && !tokenPermits(caller.actor.permissions, 'package-view')) return { id: -1 };
  if (caller.isAdmin) return tokenFilter;
  const ownNames = caller.principals.filter((principal) => principal !== EVERYONE);
  return {
    AND: [
      tokenFilter,
      {
        OR: [
          { private: false },
          { namespace: { name: { in: ownNames } } },
          { acl: { some: { principal: { in: caller.principals } } } },
        ],
      },
    ],
  };
}

function parseCanonicalUrl(url: string): { owner: string; name: string } {
  const match = /^cs:~([^/]+)\/(?:bundle\/)?([^/]+)$/.exec(url);
  return { owner: match?.[1] ?? '', name: match?.[2] ?? '' };
}
