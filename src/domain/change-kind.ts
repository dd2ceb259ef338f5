/**
 * What a live event or webhook delivery says changed. The names are part of
 * the public API (GraphQL enum ChangeKind, webhook payloads).
 */
export const CHANGE_KINDS = ['PUSH', 'RELEASE', 'CLOSE', 'TRACK', 'RESOURCE', 'ACL', 'VISIBILITY', 'NAME'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/**
 * The audit actions that change what an entity shows, by kind. Actions that
 * change nothing (a duplicate push) or remove the entity are not live events.
 */
const KIND_OF_ACTION: Readonly<Record<string, ChangeKind>> = {
  push: 'PUSH',
  'push-resource': 'RESOURCE',
  release: 'RELEASE',
  'update-progressive': 'RELEASE',
  'close-channels': 'CLOSE',
  'create-track': 'TRACK',
  'set-default-track': 'TRACK',
  'set-track-guardrail': 'TRACK',
  grant: 'ACL',
  revoke: 'ACL',
  'set-acl': 'ACL',
  'set-private': 'VISIBILITY',
  promulgate: 'NAME',
  unpromulgate: 'NAME',
  'register-name': 'NAME',
};

/** The change kind of an audit action; null for actions that are not live events. */
export function changeKindOf(action: string): ChangeKind | null {
  return KIND_OF_ACTION[action] ?? null;
}

/** Every audit action that is a live event (for catching up from the audit log). */
export const LIVE_ACTIONS: readonly string[] = Object.keys(KIND_OF_ACTION);

/** The channels an audited change names (release and updateProgressive: the channels released; close: those closed). */
export function channelsOfChange(action: string, after: unknown): string[] {
  const record = (after ?? {}) as { channels?: unknown; closed?: unknown };
  const list = action === 'release' || action === 'update-progressive' ? record.channels : action === 'close-channels' ? record.closed : undefined;
  return Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string') : [];
}
