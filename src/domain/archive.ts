import path from 'node:path/posix';
import { parse as parseYaml } from 'yaml';
import { BaseSyntaxError, basesFromSeries, type Base, mergeBases, parseBaseEntry, parseCharmcraftBases, parsePlatforms } from './bases.js';
import { type CharmDetails, charmDetails, DetailSyntaxError } from './charm-details.js';
import { entityNameProblem, isValidEntityName, parseEntityUrl } from './entity-url.js';
import { ValidationError } from './errors.js';

/**
 * What a pushed archive must be: the pure rules (entry paths, links, limits,
 * metadata.yaml, manifest.yaml, bundle.yaml, oci-image descriptors). Reading
 * the zip itself is the archive reader's job (src/services/archives/); it
 * feeds entry names and file texts through the functions here.
 */

export interface ArchiveLimits {
  /** Size of the zip file itself. */
  maxArchiveBytes: number;
  maxEntries: number;
  /** Inflated size of one entry, counted while inflating (headers are not trusted). */
  maxEntryBytes: number;
  /** Inflated size of all entries together. */
  maxUncompressedBytes: number;
  /**
   * Size of metadata.yaml, and the resources a charm may declare in it:
   * every push writes one row per declared resource under the entity's
   * lock, so both are bounded to keep that lock short.
   */
  maxMetadataBytes: number;
  maxDeclaredResources: number;
}

export const METADATA_FILE = 'metadata.yaml';
export const MANIFEST_FILE = 'manifest.yaml';
export const BUNDLE_FILE = 'bundle.yaml';
/** charmcraft's project file: bases/platforms, and all of the metadata for charms packed by charmcraft 3. */
export const CHARMCRAFT_FILE = 'charmcraft.yaml';
/** The version string charmcraft writes (from `git describe`) into the packed charm. */
export const VERSION_FILE = 'version';
/** The files whose text the checks need; each is read into memory, so it gets a small bound of its own. */
export const DESCRIPTOR_FILES = [METADATA_FILE, MANIFEST_FILE, BUNDLE_FILE, CHARMCRAFT_FILE, VERSION_FILE] as const;
export const MAX_DESCRIPTOR_BYTES = 1024 * 1024;
export const MAX_VERSION_BYTES = 1024;
/** A symlink entry's content is its target path. */
export const MAX_LINK_TARGET_BYTES = 4096;

export const RESOURCE_TYPES = ['file', 'oci-image'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

export interface DeclaredResource {
  name: string;
  type: ResourceType;
  description: string | null;
}

export type CharmBase = Base;

export interface CharmInfo extends CharmDetails {
  kind: 'CHARM';
  name: string;
  summary: string;
  description: string;
  series: string[];
  resources: DeclaredResource[];
  /**
   * Where the revision runs: manifest.yaml's bases when the archive has
   * them, else charmcraft.yaml's bases or platforms, else its series mapped
   * to bases (src/domain/bases.ts).
   */
  bases: CharmBase[];
  /** The archive's `version` file, trimmed. */
  version: string | null;
}

export interface BundleApplication {
  name: string;
  charm: string;
  /** The channel the bundle deploys the charm from, when it says. */
  channel: string | null;
  /** The charm revision the bundle pins, when it says. */
  revision: number | null;
  /** `num_units` (or the older `scale`); null for subordinates, which have no units of their own. */
  numUnits: number | null;
}

export interface BundleInfo {
  kind: 'BUNDLE';
  version: string | null;
  /** bundle.yaml `name`, when given. */
  name: string | null;
  summary: string | null;
  description: string | null;
  series: string[];
  applications: BundleApplication[];
}

export type ArchiveInfo = CharmInfo | BundleInfo;

/** The ValidationError every refused archive gets; `field` is the input that carried it. */
export function archiveRefused(why: string, field: string): ValidationError {
  return new ValidationError(`The archive was refused: ${why}`, field);
}

/** Entry names must stay inside the archive: no absolute paths, drive letters, `..` or NUL. */
export function entryPathProblem(name: string): string | null {
  if (name === '') return 'an entry has an empty name';
  if (name.includes('\0')) return `entry "${name.replace(/\0/g, '\\0')}" has a NUL character in its name`;
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) return `entry "${name}" has an absolute path; paths must be relative to the archive root`;
  if (name.split('/').includes('..')) return `entry "${name}" contains "..", which would point outside the archive`;
  return null;
}

/**
 * The path an entry name stands for, as extracting it would create it:
 * `./a`, `a` and `a/` (a directory) are the same path, so an archive may hold
 * only one of them.
 */
export function normalEntryPath(name: string): string {
  return path.normalize(name).replace(/\/+$/, '');
}

/** Unix mode bits live in the upper half of a zip entry's external attributes (made by Unix). */
export function isSymlinkEntry(externalFileAttributes: number): boolean {
  return ((externalFileAttributes >>> 16) & 0o170000) === 0o120000;
}

/** A link may point anywhere inside the archive, never outside it. */
export function symlinkProblem(name: string, target: string): string | null {
  if (target === '' || target.startsWith('/') || /^[a-zA-Z]:/.test(target) || target.includes('\0')) {
    return `entry "${name}" is a link to "${target}", outside the archive; links must be relative and stay inside it`;
  }
  const resolved = path.normalize(path.join(path.dirname(name), target));
  if (resolved === '..' || resolved.startsWith('../')) {
    return `entry "${name}" is a link to "${target}", outside the archive; links must be relative and stay inside it`;
  }
  return null;
}

/** The descriptor texts found at the archive root. */
export interface DescriptorTexts {
  metadata?: string;
  manifest?: string;
  bundle?: string;
  charmcraft?: string;
  version?: string;
}

/** Turns the root descriptors into what the archive is: a charm (metadata.yaml) or a bundle (bundle.yaml). */
export function describeArchive(texts: DescriptorTexts, field: string, maxDeclaredResources = Number.POSITIVE_INFINITY): ArchiveInfo {
  if (texts.metadata !== undefined && texts.bundle !== undefined) {
    throw archiveRefused(`it has both ${METADATA_FILE} (a charm) and ${BUNDLE_FILE} (a bundle) at its root; keep the one that says what it is`, field);
  }
  const version = texts.version === undefined || texts.version.trim() === '' ? null : texts.version.trim();
  if (texts.metadata !== undefined || (texts.bundle === undefined && texts.charmcraft !== undefined)) {
    return { ...parseCharm(texts, field, maxDeclaredResources), version };
  }
  if (texts.bundle !== undefined) return { ...parseBundle(texts.bundle, field), version };
  throw archiveRefused(`it has neither ${METADATA_FILE} (a charm) nor ${BUNDLE_FILE} (a bundle) at its root`, field);
}

const SERIES_NAME = /^[a-z][a-z0-9]*$/;
const RESOURCE_NAME = /^[a-zA-Z][a-zA-Z0-9_-]{0,63}$/;

function parseDocument(text: string, file: string, field: string): Record<string, unknown> {
  let document: unknown;
  try {
    // A small alias budget refuses "billion laughs" documents.
    document = parseYaml(text, { maxAliasCount: 100, prettyErrors: false });
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw archiveRefused(`${file} is not valid YAML (${detail})`, field);
  }
  if (!isRecord(document)) throw archiveRefused(`${file} must be a YAML mapping`, field);
  return document;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requiredText(document: Record<string, unknown>, key: string, file: string, field: string): string {
  const value = document[key];
  if (typeof value !== 'string' || value.trim() === '') throw archiveRefused(`${file} needs a non-empty "${key}"`, field);
  return value.trim();
}

function optionalText(document: Record<string, unknown>, key: string, file: string, field: string): string | null {
  const value = document[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw archiveRefused(`"${key}" in ${file} must be a string`, field);
  return value.trim() === '' ? null : value.trim();
}

function parseSeries(value: unknown, file: string, field: string): string[] {
  if (value === undefined || value === null) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.some((item) => typeof item !== 'string' || !SERIES_NAME.test(item) || item === 'bundle')) {
    throw archiveRefused(`"series" in ${file} must be a list of series names such as "jammy" (lowercase letters and digits)`, field);
  }
  return [...new Set(list as string[])];
}

/**
 * A charm: its metadata comes from metadata.yaml, or from charmcraft.yaml
 * when charmcraft 3 keeps it all there (then charmcraft.yaml must say
 * `type: charm`).
 */
function parseCharm(texts: DescriptorTexts, field: string, maxDeclaredResources: number): Omit<CharmInfo, 'version'> {
  const charmcraft = texts.charmcraft === undefined ? null : parseDocument(texts.charmcraft, CHARMCRAFT_FILE, field);
  const file = texts.metadata !== undefined ? METADATA_FILE : CHARMCRAFT_FILE;
  if (texts.metadata === undefined && charmcraft?.type !== 'charm') {
    throw archiveRefused(`it has no ${METADATA_FILE}, and its ${CHARMCRAFT_FILE} does not say "type: charm"`, field);
  }
  const metadata = texts.metadata !== undefined ? parseDocument(texts.metadata, METADATA_FILE, field) : charmcraft!;
  const name = requiredText(metadata, 'name', file, field);
  if (!isValidEntityName(name)) throw archiveRefused(`the name in ${file} is refused: ${entityNameProblem(name)}`, field);
  const series = parseSeries(metadata.series, file, field);
  let details: CharmDetails;
  try {
    details = charmDetails(metadata);
  } catch (error) {
    if (error instanceof DetailSyntaxError) throw archiveRefused(`${file}: ${error.message}`, field);
    throw error;
  }
  return {
    kind: 'CHARM',
    name,
    summary: requiredText(metadata, 'summary', file, field),
    description: requiredText(metadata, 'description', file, field),
    series,
    resources: parseResources(metadata.resources, field, maxDeclaredResources, file),
    bases: charmBases(texts.manifest, charmcraft, series, field),
    ...details,
  };
}

/** The first source that declares bases wins: manifest.yaml (what charmcraft packed for), charmcraft.yaml, series. */
function charmBases(manifestText: string | undefined, charmcraft: Record<string, unknown> | null, series: string[], field: string): CharmBase[] {
  const manifestBases = manifestText === undefined ? [] : parseBases(manifestText, field);
  if (manifestBases.length > 0) return manifestBases;
  try {
    if (charmcraft?.platforms !== undefined && charmcraft.platforms !== null) return parsePlatforms(charmcraft.platforms, charmcraft.base);
    if (charmcraft?.bases !== undefined && charmcraft.bases !== null) return parseCharmcraftBases(charmcraft.bases);
  } catch (error) {
    if (error instanceof BaseSyntaxError) throw archiveRefused(`${CHARMCRAFT_FILE}: ${error.message}`, field);
    throw error;
  }
  return basesFromSeries(series);
}

function parseResources(value: unknown, field: string, maxDeclaredResources: number, file: string): DeclaredResource[] {
  if (value === undefined || value === null) return [];
  if (!isRecord(value)) throw archiveRefused(`"resources" in ${file} must be a mapping of resource names to their definitions`, field);
  const count = Object.keys(value).length;
  if (count > maxDeclaredResources) {
    throw archiveRefused(`${file} declares ${count} resources; a charm may declare at most ${maxDeclaredResources}`, field);
  }
  return Object.entries(value).map(([name, definition]) => {
    if (!RESOURCE_NAME.test(name)) {
      throw archiveRefused(`resource name "${name}" in ${file} is not valid: use up to 64 letters, digits, "_" and "-", starting with a letter`, field);
    }
    const body = definition ?? {};
    if (!isRecord(body)) throw archiveRefused(`resource "${name}" in ${file} must be a mapping with a "type"`, field);
    const type = body.type ?? 'file';
    if (typeof type !== 'string' || !(RESOURCE_TYPES as readonly string[]).includes(type)) {
      throw archiveRefused(`resource "${name}" in ${file} has type ${JSON.stringify(type)}; use "file" or "oci-image"`, field);
    }
    const description = body.description ?? null;
    if (description !== null && typeof description !== 'string') {
      throw archiveRefused(`the description of resource "${name}" in ${file} must be a string`, field);
    }
    return { name, type: type as ResourceType, description: description === null || description.trim() === '' ? null : description.trim() };
  });
}

function parseBases(manifestText: string, field: string): CharmBase[] {
  const manifest = parseDocument(manifestText, MANIFEST_FILE, field);
  const bases = manifest.bases ?? [];
  const problem = `"bases" in ${MANIFEST_FILE} must be a list of {name, channel, architectures}`;
  if (!Array.isArray(bases)) throw archiveRefused(problem, field);
  try {
    return mergeBases(bases.map(parseBaseEntry));
  } catch (error) {
    if (error instanceof BaseSyntaxError) throw archiveRefused(problem, field);
    throw error;
  }
}

function parseBundle(text: string, field: string): Omit<BundleInfo, 'version'> {
  const bundle = parseDocument(text, BUNDLE_FILE, field);
  const applications = bundle.applications ?? bundle.services;
  if (!isRecord(applications) || Object.keys(applications).length === 0) {
    throw archiveRefused(`${BUNDLE_FILE} needs "applications" (or the older "services"): a mapping of application names to {charm: <url>}`, field);
  }
  const name = optionalText(bundle, 'name', BUNDLE_FILE, field);
  if (name !== null && !isValidEntityName(name)) throw archiveRefused(`the name in ${BUNDLE_FILE} is refused: ${entityNameProblem(name)}`, field);
  const description = optionalText(bundle, 'description', BUNDLE_FILE, field);
  return {
    kind: 'BUNDLE',
    name,
    summary: description === null ? null : (description.split('\n')[0] ?? null),
    description,
    series: parseSeries(bundle.series, BUNDLE_FILE, field),
    applications: Object.entries(applications).map(([application, definition]) => {
      const charm = isRecord(definition) ? definition.charm : undefined;
      if (typeof charm !== 'string' || charm.trim() === '') {
        throw archiveRefused(`application "${application}" in ${BUNDLE_FILE} needs a "charm" url`, field);
      }
      try {
        parseEntityUrl(charm);
      } catch (error) {
        if (error instanceof ValidationError) throw archiveRefused(`application "${application}" in ${BUNDLE_FILE}: ${error.message}`, field);
        throw error;
      }
      return { name: application, charm: charm.trim(), ...applicationPlacement(application, definition as Record<string, unknown>, field) };
    }),
  };
}

function applicationPlacement(application: string, definition: Record<string, unknown>, field: string) {
  const { channel, revision } = definition;
  const numUnits = definition.num_units ?? definition.scale ?? null;
  if (channel !== undefined && channel !== null && typeof channel !== 'string') {
    throw archiveRefused(`the "channel" of application "${application}" in ${BUNDLE_FILE} must be a string`, field);
  }
  for (const [key, value] of [['revision', revision], ['num_units', numUnits]] as const) {
    if (value !== undefined && value !== null && !(Number.isInteger(value) && (value as number) >= 0)) {
      throw archiveRefused(`the "${key}" of application "${application}" in ${BUNDLE_FILE} must be a whole number`, field);
    }
  }
  return { channel: (channel as string | undefined) ?? null, revision: (revision as number | undefined) ?? null, numUnits: numUnits as number | null };
}

/**
 * What Revision.metadata keeps of an archive (the columns hold summary,
 * description and series). `resources` keeps metadata.yaml's shape, a map
 * from name to definition, which releases read to know what to pin.
 */
export function archiveMetadata(info: ArchiveInfo): Record<string, unknown> {
  return info.kind === 'CHARM'
    ? {
        kind: 'charm',
        name: info.name,
        resources: Object.fromEntries(info.resources.map(({ name, type, description }) => [name, { type, description }])),
        bases: info.bases,
        links: info.links,
        maintainers: info.maintainers,
        assumes: info.assumes,
        containers: info.containers,
        subordinate: info.subordinate,
        provides: info.provides,
        requires: info.requires,
        peers: info.peers,
      }
    : { kind: 'bundle', name: info.name, applications: info.applications };
}

/** The content of an oci-image resource: where the image is and which exact image it is. */
export interface OciImageDescriptor {
  image: string;
  /** Null only in Juju's form with an unpinned image (a tag), which Juju itself accepts. */
  digest: string | null;
}

export const MAX_OCI_DESCRIPTOR_BYTES = 64 * 1024;
// [registry/]path[:tag][@digest], as Docker parses it: the first component is
// a registry only when it has a dot or a port, or is localhost; path
// components are lowercase.
const REGISTRY = String.raw`(?:(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+|localhost)(?::[0-9]+)?|[a-zA-Z0-9-]+:[0-9]+)/`;
const PATH_COMPONENT = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const IMAGE_REFERENCE = new RegExp(
  String.raw`^(?:${REGISTRY})?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$`,
);
const IMAGE_DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * Checks an oci-image resource descriptor: JSON or YAML with `image` (a
 * reference such as "registry.example.com/team/app:1.2") and `digest`
 * ("sha256:<64 hex>"); `username` and `password` for private registries.
 */
export function parseOciImageDescriptor(text: string, field: string): OciImageDescriptor {
  const hint = 'an oci-image resource is a JSON or YAML document {"image": "<registry/path:tag>", "digest": "sha256:<64 hex digits>"}';
  let document: unknown;
  try {
    document = parseYaml(text, { maxAliasCount: 10, prettyErrors: false });
  } catch {
    throw new ValidationError(`The oci-image descriptor is not valid JSON or YAML; ${hint}`, field);
  }
  if (!isRecord(document)) throw new ValidationError(`The oci-image descriptor must be a mapping; ${hint}`, field);
  if ('ImageName' in document) return parseJujuOciImageDocument(document, field);
  const unknown = Object.keys(document).filter((key) => !['image', 'digest', 'username', 'password'].includes(key));
  if (unknown.length > 0) throw new ValidationError(`The oci-image descriptor has unknown keys (${unknown.join(', ')}); ${hint}`, field);
  const { image, digest } = document;
  if (typeof image !== 'string' || !IMAGE_REFERENCE.test(image)) {
    throw new ValidationError(`The oci-image descriptor's "image" is missing or not an image reference; ${hint}`, field);
  }
  if (typeof digest !== 'string' || !IMAGE_DIGEST.test(digest)) {
    throw new ValidationError(`The oci-image descriptor's "digest" is missing or not "sha256:" and 64 lowercase hex digits; ${hint}`, field);
  }
  for (const key of ['username', 'password'] as const) {
    if (document[key] !== undefined && typeof document[key] !== 'string') {
      throw new ValidationError(`The oci-image descriptor's "${key}" must be a string`, field);
    }
  }
  const pinned = image.split('@')[1];
  if (pinned !== undefined && pinned !== digest) {
    throw new ValidationError(`The oci-image descriptor's image reference is pinned to ${pinned} but "digest" says ${digest}; make them agree`, field);
  }
  return { image, digest };
}

/**
 * Juju's own resource document, as `juju attach-resource` and the old
 * charm store took it: {"ImageName": "<reference[@sha256:...]>",
 * "Username": ..., "Password": ...}. The digest, when there is one, is the
 * reference's pin.
 */
function parseJujuOciImageDocument(document: Record<string, unknown>, field: string): OciImageDescriptor {
  const hint = 'Juju\'s form is {"ImageName": "<registry/path:tag or @sha256:digest>", "Username": "...", "Password": "..."}';
  const unknown = Object.keys(document).filter((key) => !['ImageName', 'Username', 'Password'].includes(key));
  if (unknown.length > 0) throw new ValidationError(`The oci-image descriptor has unknown keys (${unknown.join(', ')}); ${hint}`, field);
  const image = document.ImageName;
  if (typeof image !== 'string' || !IMAGE_REFERENCE.test(image)) {
    throw new ValidationError(`The oci-image descriptor's "ImageName" is missing or not an image reference; ${hint}`, field);
  }
  for (const key of ['Username', 'Password'] as const) {
    if (document[key] !== undefined && typeof document[key] !== 'string') throw new ValidationError(`The oci-image descriptor's "${key}" must be a string`, field);
  }
  return { image, digest: image.split('@')[1] ?? null };
}
