/**
 * What a charm's metadata says about it beyond name and summary: its title,
 * links, maintainers, relations, containers, assumptions. Read from
 * metadata.yaml, or from charmcraft.yaml when the charm keeps its metadata
 * there (charmcraft 3). Pure: the caller parses the YAML and turns a
 * DetailSyntaxError into its refusal.
 */

export class DetailSyntaxError extends Error {}

export interface CharmLinks {
  documentation: string[];
  issues: string[];
  source: string[];
  website: string[];
  contact: string[];
}

export interface Relation {
  /** The endpoint name, e.g. "database". */
  name: string;
  /** The interface spoken on it, e.g. "postgresql_client". */
  interface: string;
}

export interface Container {
  name: string;
  /** The oci-image resource the container runs, when it names one. */
  resource: string | null;
}

export interface CharmDetails {
  /** `display-name`: the human title Charmhub shows. */
  title: string | null;
  links: CharmLinks;
  maintainers: string[];
  /** Juju features the charm needs; kept as written (strings and any-of/all-of mappings). */
  assumes: unknown[];
  containers: Container[];
  subordinate: boolean;
  provides: Relation[];
  requires: Relation[];
  peers: Relation[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function texts(value: unknown, what: string): string[] {
  if (value === undefined || value === null) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.some((item) => typeof item !== 'string')) throw new DetailSyntaxError(`"${what}" must be a string or a list of strings`);
  return (list as string[]).map((item) => item.trim()).filter((item) => item !== '');
}

function relations(value: unknown, what: string): Relation[] {
  if (value === undefined || value === null) return [];
  if (!isRecord(value)) throw new DetailSyntaxError(`"${what}" must be a mapping of endpoint names to {interface}`);
  return Object.entries(value).map(([name, endpoint]) => {
    // The oldest charms wrote `endpoint: interface-name`.
    const iface = typeof endpoint === 'string' ? endpoint : isRecord(endpoint) ? endpoint.interface : undefined;
    if (typeof iface !== 'string' || iface.trim() === '') throw new DetailSyntaxError(`endpoint "${name}" in "${what}" needs an "interface"`);
    return { name, interface: iface.trim() };
  });
}

function containers(value: unknown): Container[] {
  if (value === undefined || value === null) return [];
  if (!isRecord(value)) throw new DetailSyntaxError('"containers" must be a mapping of container names to definitions');
  return Object.entries(value).map(([name, definition]) => {
    const resource = isRecord(definition) ? definition.resource : undefined;
    if (resource !== undefined && typeof resource !== 'string') throw new DetailSyntaxError(`the "resource" of container "${name}" must be a string`);
    return { name, resource: resource ?? null };
  });
}

/**
 * The details of one metadata document. Links come from charmcraft's
 * `links` mapping, or from the older top-level `docs`, `issues`, `source`,
 * `website` keys; `maintainer` (singular) is the oldest spelling.
 */
export function charmDetails(document: Record<string, unknown>): CharmDetails {
  const links = document.links ?? {};
  if (!isRecord(links)) throw new DetailSyntaxError('"links" must be a mapping (documentation, issues, source, website, contact)');
  const title = document['display-name'];
  if (title !== undefined && title !== null && typeof title !== 'string') throw new DetailSyntaxError('"display-name" must be a string');
  const subordinate = document.subordinate ?? false;
  if (typeof subordinate !== 'boolean') throw new DetailSyntaxError('"subordinate" must be true or false');
  const assumes = document.assumes ?? [];
  if (!Array.isArray(assumes)) throw new DetailSyntaxError('"assumes" must be a list');
  return {
    title: typeof title === 'string' && title.trim() !== '' ? title.trim() : null,
    links: {
      documentation: [...texts(links.documentation, 'links.documentation'), ...texts(document.docs, 'docs')],
      issues: [...texts(links.issues, 'links.issues'), ...texts(document.issues, 'issues')],
      source: [...texts(links.source, 'links.source'), ...texts(document.source, 'source')],
      website: [...texts(links.website, 'links.website'), ...texts(document.website, 'website')],
      contact: texts(links.contact, 'links.contact'),
    },
    maintainers: [...texts(document.maintainers, 'maintainers'), ...texts(document.maintainer, 'maintainer')],
    assumes,
    containers: containers(document.containers),
    subordinate,
    provides: relations(document.provides, 'provides'),
    requires: relations(document.requires, 'requires'),
    peers: relations(document.peers, 'peers'),
  };
}
