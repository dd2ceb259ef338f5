import path from 'node:path/posix';
import { parse as parseYaml } from 'yaml';
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
/** The files whose text the checks need; each is read into memory, so it gets a small bound of its own. */
export const DESCRIPTOR_FILES = [METADATA_FILE, MANIFEST_FILE, BUNDLE_FILE] as const;
export const MAX_DESCRIPTOR_BYTES = 1024 * 1024;
/** A symlink entry's content is its target path. */
export const MAX_LINK_TARGET_BYTES = 4096;

export const RESOURCE_TYPES = ['file', 'oci-image'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

export interface DeclaredResource {
  name: string;
  type: ResourceType;
  description: string | null;
}

export interface CharmBase {
  name: string;
  channel: string;
  architectures: string[];
}

export interface CharmInfo {
  kind: 'CHARM';
  name: string;
  summary: string;
  description: string;
  series: string[];
  resources: DeclaredResource[];
  /** From manifest.yaml, when the archive has one. */
  bases: CharmBase[];
}

export interface BundleApplication {
  name: string;
  charm: string;
}

export interface BundleInfo {
  kind: 'BUNDLE';
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
}

/** Turns the root descriptors into what the archive is: a charm (metadata.yaml) or a bundle (bundle.yaml). */
export function describeArchive(texts: DescriptorTexts, field: string, maxDeclaredResources = Number.POSITIVE_INFINITY): ArchiveInfo {
  if (texts.metadata !== undefined && texts.bundle !== undefined) {
    throw archiveRefused(`it has both ${METADATA_FILE} (a charm) and ${BUNDLE_FILE} (a bundle) at its root; keep the one that says what it is`, field);
  }
  if (texts.metadata !== undefined) return parseCharm(texts.metadata, texts.manifest, field, maxDeclaredResources);
  if (texts.bundle !== undefined) return parseBundle(texts.bundle, field);
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

function parseCharm(metadataText: string, manifestText: string | undefined, field: string, maxDeclaredResources: number): CharmInfo {
  const metadata = parseDocument(metadataText, METADATA_FILE, field);
  const name = requiredText(metadata, 'name', METADATA_FILE, field);
  if (!isValidEntityName(name)) throw archiveRefused(`the name in ${METADATA_FILE} is refused: ${entityNameProblem(name)}`, field);
  return {
    kind: 'CHARM',
    name,
    summary: requiredText(metadata, 'summary', METADATA_FILE, field),
    description: requiredText(metadata, 'description', METADATA_FILE, field),
    series: parseSeries(metadata.series, METADATA_FILE, field),
    resources: parseResources(metadata.resources, field, maxDeclaredResources),
    bases: manifestText === undefined ? [] : parseBases(manifestText, field),
  };
}

function parseResources(value: unknown, field: string, maxDeclaredResources: number): DeclaredResource[] {
  if (value === undefined || value === null) return [];
  if (!isRecord(value)) throw archiveRefused(`"resources" in ${METADATA_FILE} must be a mapping of resource names to their definitions`, field);
  const count = Object.keys(value).length;
  if (count > maxDeclaredResources) {
    throw archiveRefused(`${METADATA_FILE} declares ${count} resources; a charm may declare at most ${maxDeclaredResources}`, field);
  }
  return Object.entries(value).map(([name, definition]) => {
    if (!RESOURCE_NAME.test(name)) {
      throw archiveRefused(`resource name "${name}" in ${METADATA_FILE} is not valid: use up to 64 letters, digits, "_" and "-", starting with a letter`, field);
    }
    const body = definition ?? {};
    if (!isRecord(body)) throw archiveRefused(`resource "${name}" in ${METADATA_FILE} must be a mapping with a "type"`, field);
    const type = body.type ?? 'file';
    if (typeof type !== 'string' || !(RESOURCE_TYPES as readonly string[]).includes(type)) {
      throw archiveRefused(`resource "${name}" in ${METADATA_FILE} has type ${JSON.stringify(type)}; use "file" or "oci-image"`, field);
    }
    const description = body.description ?? null;
    if (description !== null && typeof description !== 'string') {
      throw archiveRefused(`the description of resource "${name}" in ${METADATA_FILE} must be a string`, field);
    }
    return { name, type: type as ResourceType, description: description === null || description.trim() === '' ? null : description.trim() };
  });
}

function parseBases(manifestText: string, field: string): CharmBase[] {
  const manifest = parseDocument(manifestText, MANIFEST_FILE, field);
  const bases = manifest.bases ?? [];
  const problem = `"bases" in ${MANIFEST_FILE} must be a list of {name, channel, architectures}`;
  if (!Array.isArray(bases)) throw archiveRefused(problem, field);
  return bases.map((base) => {
    if (!isRecord(base) || typeof base.name !== 'string' || (typeof base.channel !== 'string' && typeof base.channel !== 'number')) {
      throw archiveRefused(problem, field);
    }
    const architectures = base.architectures ?? [];
    if (!Array.isArray(architectures) || architectures.some((arch) => typeof arch !== 'string')) throw archiveRefused(problem, field);
    return { name: base.name, channel: String(base.channel), architectures: architectures as string[] };
  });
}

function parseBundle(text: string, field: string): BundleInfo {
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
      return { name: application, charm: charm.trim() };
    }),
  };
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
      }
    : { kind: 'bundle', name: info.name, applications: info.applications };
}

/** The content of an oci-image resource: where the image is and which exact image it is. */
export interface OciImageDescriptor {
  image: string;
  digest: string;
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
