import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import type { ByteSource } from '../../blobs/blob-store.js';
import {
  type ArchiveInfo,
  type ArchiveLimits,
  BUNDLE_FILE,
  DESCRIPTOR_FILES,
  type DescriptorTexts,
  MANIFEST_FILE,
  MAX_DESCRIPTOR_BYTES,
  MAX_LINK_TARGET_BYTES,
  METADATA_FILE,
  archiveRefused,
  describeArchive,
  entryPathProblem,
  isSymlinkEntry,
  symlinkProblem,
} from '../../domain/archive.js';
import { ValidationError } from '../../domain/errors.js';

/** yauzl reads through this, so any ByteSource (a staged file, a stored blob) can be inspected. */
class ByteSourceReader extends yauzl.RandomAccessReader {
  constructor(private readonly bytes: ByteSource) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return this.bytes.openRange(start, end);
  }
}

const STORED = 0;
const DEFLATED = 8;

/**
 * Reads a zip and checks it against the archive rules: it must be a zip,
 * every entry path and link must stay inside it, and the entry count and
 * the sizes it inflates to are bounded. Sizes are counted while inflating:
 * zip headers can lie. Returns what the archive is (charm or bundle);
 * throws ValidationError, naming `field`, when it is refused.
 */
export async function inspectArchive(source: ByteSource, limits: ArchiveLimits, field: string): Promise<ArchiveInfo> {
  if (source.size > limits.maxArchiveBytes) {
    throw archiveRefused(`it is ${source.size} bytes; the limit is ${limits.maxArchiveBytes} bytes`, field);
  }
  const reader = new ByteSourceReader(source);
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromRandomAccessReaderPromise(reader, source.size, {
      lazyEntries: true,
      autoClose: false,
      // Names are decoded and checked below, with messages of our own.
      decodeStrings: false,
      validateEntrySizes: true,
    });
  } catch (error) {
    reader.close(() => undefined);
    throw archiveRefused(`it is not a zip file (${describe(error)})`, field);
  }
  try {
    if (zip.entryCount > limits.maxEntries) {
      throw archiveRefused(`it has ${zip.entryCount} entries; the limit is ${limits.maxEntries}`, field);
    }
    const texts = await readEntries(zip, limits, field);
    return describeArchive(texts, field, limits.maxDeclaredResources);
  } finally {
    zip.close();
  }
}

async function readEntries(zip: yauzl.ZipFile, limits: ArchiveLimits, field: string): Promise<DescriptorTexts> {
  const texts: DescriptorTexts = {};
  const seen = new Set<string>();
  let total = 0;
  for (;;) {
    const entry = await nextEntry(zip, field);
    if (!entry) return texts;
    const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
    const pathProblem = entryPathProblem(name);
    if (pathProblem) throw archiveRefused(pathProblem, field);
    if (seen.has(name)) throw archiveRefused(`entry "${name}" appears twice`, field);
    seen.add(name);
    if (entry.isEncrypted()) throw archiveRefused(`entry "${name}" is encrypted`, field);
    if (entry.compressionMethod !== STORED && entry.compressionMethod !== DEFLATED) {
      throw archiveRefused(`entry "${name}" uses compression method ${entry.compressionMethod}; only stored and deflated entries are accepted`, field);
    }
    // The declared size is a cheap first check; the real one is counted below.
    if (entry.uncompressedSize > limits.maxEntryBytes) throw entryTooLarge(name, limits, field);
    if (name.endsWith('/')) continue;

    const symlink = isSymlinkEntry(entry.externalFileAttributes);
    const descriptor = (DESCRIPTOR_FILES as readonly string[]).includes(name);
    const descriptorLimit = name === METADATA_FILE ? limits.maxMetadataBytes : MAX_DESCRIPTOR_BYTES;
    const keepBytes = symlink ? MAX_LINK_TARGET_BYTES : descriptor ? descriptorLimit : 0;
    const { bytes, kept } = await inflate(zip, entry, name, keepBytes, limits.maxEntryBytes, limits.maxUncompressedBytes - total, limits, field);
    total += bytes;
    if (symlink) {
      if (kept === null) throw archiveRefused(`entry "${name}" is a link with an overlong target`, field);
      const problem = symlinkProblem(name, kept.toString('utf8'));
      if (problem) throw archiveRefused(problem, field);
    } else if (descriptor) {
      if (kept === null) throw archiveRefused(`${name} is larger than ${descriptorLimit} bytes, the limit for it`, field);
      const text = kept.toString('utf8');
      if (name === METADATA_FILE) texts.metadata = text;
      else if (name === MANIFEST_FILE) texts.manifest = text;
      else if (name === BUNDLE_FILE) texts.bundle = text;
    }
  }
}

function entryTooLarge(name: string, limits: ArchiveLimits, field: string): ValidationError {
  return archiveRefused(`entry "${name}" inflates to more than ${limits.maxEntryBytes} bytes, the limit for one entry`, field);
}

function nextEntry(zip: yauzl.ZipFile, field: string): Promise<yauzl.Entry | null> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    const onEntry = (entry: yauzl.Entry) => {
      cleanup();
      resolve(entry);
    };
    const onEnd = () => {
      cleanup();
      resolve(null);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(archiveRefused(`it is not a valid zip file (${error.message})`, field));
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

/**
 * Inflates one entry, counting the bytes it really produces, and keeps up to
 * `keepBytes` of them (kept is null when there were more). Stops at once
 * past the per-entry or the remaining total budget.
 */
async function inflate(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  name: string,
  keepBytes: number,
  maxEntryBytes: number,
  remainingTotal: number,
  limits: ArchiveLimits,
  field: string,
): Promise<{ bytes: number; kept: Buffer | null }> {
  let stream: Readable;
  try {
    stream = await zip.openReadStreamPromise(entry);
  } catch (error) {
    throw archiveRefused(`entry "${name}" cannot be read (${describe(error)})`, field);
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > maxEntryBytes) throw entryTooLarge(name, limits, field);
      if (bytes > remainingTotal) {
        throw archiveRefused(`its entries inflate to more than ${limits.maxUncompressedBytes} bytes in total, the limit`, field);
      }
      if (bytes <= keepBytes) chunks.push(chunk);
    }
  } catch (error) {
    stream.destroy();
    if (error instanceof ValidationError) throw error;
    throw archiveRefused(`entry "${name}" is corrupt (${describe(error)})`, field);
  }
  return { bytes, kept: bytes <= keepBytes ? Buffer.concat(chunks) : null };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
