/**
 * Token permissions, named as in Charmhub. A token with no permissions carries
 * all of its user's rights; otherwise it may only do what one of its
 * permissions allows, and never more than its user.
 */
export const PERMISSIONS = [
  'package-view',
  'package-view-revisions',
  'package-view-releases',
  'package-view-acl',
  'package-view-metadata',
  'package-view-metrics',
  'package-manage',
  'package-manage-revisions',
  'package-manage-releases',
  'package-manage-acl',
  'package-manage-metadata',
  'account-register-package',
  'account-view-packages',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

/** True when a token limited to `granted` may use `needed`. */
export function tokenPermits(granted: readonly string[], needed: Permission): boolean {
  if (granted.length === 0) return true;
  return granted.some((permission) => implies(permission, needed));
}

function implies(granted: string, needed: Permission): boolean {
  if (granted === needed) return true;
  // package-manage covers every package permission.
  if (granted === 'package-manage') return needed.startsWith('package-');
  // package-manage-X includes package-view-X; any package permission includes seeing the package.
  if (granted.startsWith('package-manage-')) {
    const suffix = granted.slice('package-manage-'.length);
    if (needed === `package-view-${suffix}`) return true;
  }
  // Registering a package includes seeing it (and what it registered).
  if (needed === 'package-view') return granted.startsWith('package-') || granted === 'account-view-packages' || granted === 'account-register-package';
  return false;
}
