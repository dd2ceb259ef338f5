import { ValidationError } from './errors.js';

/**
 * Charm store urls: `[cs:][~owner/][series/]name[-revision]`.
 * `foo-42` is `foo` revision 42 because a name's last dash-part must hold a letter.
 */
export const ENTITY_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]*[a-z][a-z0-9]*)*$/;
const OWNER = /^[a-zA-Z0-9][a-zA-Z0-9.+-]*[a-zA-Z0-9]$/;
const SERIES = /^[a-z][a-z0-9]*$/;
const NAME_WITH_REVISION = /^(.*)-(\d+)$/;
const MAX_NAME_LENGTH = 64;
const MAX_REVISION = 2_147_483_647;

export const BUNDLE_SERIES = 'bundle';
/** Names the url grammar gives a meaning of its own: `~owner/bundle/name` is a bundle, so no charm or bundle may be called `bundle`. */
const RESERVED_NAMES: ReadonlySet<string> = new Set([BUNDLE_SERIES]);


export interface EntityUrl {
  /** `~owner`; undefined means the top-level (promulgated or registered) name. */
  owner?: string;
  /** `bundle` for bundles; for charms one of the revision's series. */
  series?: string;
  name: string;
  revision?: number;
}

const FORMAT_HINT = 'use [cs:][~owner/][series/]name[-revision], e.g. "cs:~kirk/foo", "~kirk/bundle/wiki-3" or "foo"';

export function isValidEntityName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && ENTITY_NAME.test(name) && !RESERVED_NAMES.has(name);
}

export function entityNameProblem(name: string): string {
  if (RESERVED_NAMES.has(name)) return `"${name}" is a reserved name: in urls "~owner/${name}/..." marks a bundle; choose another name`;
  return `"${name}" is not a valid name: use lowercase letters, digits and dashes, starting with a letter, with a letter in every dash-separated part (at most ${MAX_NAME_LENGTH} characters)`;
}

/** Parses a url; `field` is reported in the ValidationError when it is malformed. */
export function parseEntityUrl(input: string, field = 'url'): EntityUrl {
  const text = input.trim();
  const fail = (why: string): never => {
    throw new ValidationError(`"${input}" is not a valid charm or bundle url: ${why}; ${FORMAT_HINT}`, field);
  };
  if (text === '') fail('it is empty');
  const path = text.startsWith('cs:') ? text.slice(3) : text;
  if (/^[a-z][a-z0-9+.-]*:/.test(path) && !path.startsWith('~')) fail('only the cs: schema is supported');
  const parts = path.split('/');
  let owner: string | undefined;
  if (parts[0]?.startsWith('~')) {
    owner = parts.shift()!.slice(1);
    if (!OWNER.test(owner)) fail(`"~${owner}" is not a valid owner`);
  }
  if (parts.length === 0 || parts.length > 2 || parts.some((part) => part === '')) fail('it has the wrong number of parts');
  const series = parts.length === 2 ? parts[0] : undefined;
  if (series !== undefined && !SERIES.test(series)) fail(`"${series}" is not a valid series`);
  let name = parts[parts.length - 1]!;
  let revision: number | undefined;
  const withRevision = NAME_WITH_REVISION.exec(name);
  if (withRevision && !isValidEntityName(name)) {
    name = withRevision[1]!;
    revision = Number(withRevision[2]);
    // Revision numbers are 32-bit in the database and in GraphQL's Int.
    if (revision > MAX_REVISION) fail(`the revision is larger than ${MAX_REVISION}`);
  }
  if (!isValidEntityName(name)) fail(entityNameProblem(name));
  return { owner, series, name, revision };
}

/** The canonical url: `cs:~owner/name`, `cs:~owner/bundle/name`, with `-N` when a revision is given. */
export function formatEntityUrl(entity: { owner: string; name: string; isBundle: boolean }, revision?: number): string {
  const series = entity.isBundle ? `${BUNDLE_SERIES}/` : '';
  const suffix = revision === undefined ? '' : `-${revision}`;
  return `cs:~${entity.owner}/${series}${entity.name}${suffix}`;
}
