/**
 * Where archives and resource revisions are downloaded from, as paths on the
 * store's address (the url path of the entity without `cs:`, then the
 * revision): `/archives/~kirk/foo/9`, `/archives/~kirk/bundle/wiki/3`,
 * `/resources/~kirk/foo/<resource name>/2`.
 */
export const ARCHIVES_PREFIX = '/archives/';
export const RESOURCES_PREFIX = '/resources/';

interface EntityPath {
  owner: string;
  name: string;
  isBundle: boolean;
}

function entityPath(entity: EntityPath): string {
  return `~${encodeURIComponent(entity.owner)}/${entity.isBundle ? 'bundle/' : ''}${entity.name}`;
}

export function archiveDownloadPath(entity: EntityPath, revision: number): string {
  return `${ARCHIVES_PREFIX}${entityPath(entity)}/${revision}`;
}

export function resourceDownloadPath(entity: EntityPath, resourceName: string, revision: number): string {
  return `${RESOURCES_PREFIX}${entityPath(entity)}/${encodeURIComponent(resourceName)}/${revision}`;
}

export interface ArchiveRequestPath {
  entityUrl: string;
  revision: number;
}

export interface ResourceRequestPath extends ArchiveRequestPath {
  resourceName: string;
}

/** Splits `/archives/<entity url path>/<revision>`; null when the path is not of that shape. */
export function parseArchivePath(pathname: string): ArchiveRequestPath | null {
  const parts = splitAfter(pathname, ARCHIVES_PREFIX);
  if (!parts || parts.length < 2) return null;
  const revision = revisionOf(parts.pop()!);
  return revision === null ? null : { entityUrl: parts.join('/'), revision };
}

/** Splits `/resources/<entity url path>/<resource name>/<revision>`; null when the path is not of that shape. */
export function parseResourcePath(pathname: string): ResourceRequestPath | null {
  const parts = splitAfter(pathname, RESOURCES_PREFIX);
  if (!parts || parts.length < 3) return null;
  const revision = revisionOf(parts.pop()!);
  const resourceName = parts.pop()!;
  return revision === null ? null : { entityUrl: parts.join('/'), resourceName, revision };
}

/**
 * Why a download path can name nothing at all: bad percent-encoding, or a
 * control character (a NUL cannot even be sent to PostgreSQL). Null when it
 * is well formed; it may still name nothing.
 */
export function downloadPathProblem(pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return 'The download path is not valid percent-encoded UTF-8';
  }
  if (/[\u0000-\u001f\u007f]/.test(decoded)) return 'The download path contains a control character (such as %00); no name may contain one';
  return null;
}

function splitAfter(pathname: string, prefix: string): string[] | null {
  if (!pathname.startsWith(prefix)) return null;
  try {
    return pathname.slice(prefix.length).split('/').map(decodeURIComponent);
  } catch {
    return null;
  }
}

function revisionOf(text: string): number | null {
  if (!/^\d{1,9}$/.test(text)) return null;
  return Number(text);
}

/** The query parameter a download url names its channel with, for the download statistics. */
export const DOWNLOAD_CHANNEL_PARAMETER = 'channel';

/** A download url carrying the channel it was resolved through: `/archives/~kirk/foo/9?channel=latest%2Fstable`. */
export function withDownloadChannel(downloadPath: string, fullChannel: string): string {
  return `${downloadPath}?${DOWNLOAD_CHANNEL_PARAMETER}=${encodeURIComponent(fullChannel)}`;
}
