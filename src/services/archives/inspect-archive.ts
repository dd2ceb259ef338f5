import type { Readable } from 'node:stream';
import { crc32, inflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';
import type { ByteSource } from '../../blobs/blob-store.js';
import {
  type ArchiveInfo,
  type ArchiveLimits,
  BUNDLE_FILE,
  CHARMCRAFT_FILE,
  DESCRIPTOR_FILES,
  MAX_VERSION_BYTES,
  VERSION_FILE,
  type DescriptorTexts,
  MANIFEST_FILE,
  MAX_DESCRIPTOR_BYTES,
  MAX_LINK_TARGET_BYTES,
  METADATA_FILE,
  archiveRefused,
  describeArchive,
  entryPathProblem,
  isSymlinkEntry,
  normalEntryPath,
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
export async function inspectArchive(source: ByteSource | Buffer, limits: ArchiveLimits, field: string): Promise<ArchiveInfo> {
  const size = Buffer.isBuffer(source) ? source.length : source.size;
  if (size > limits.maxArchiveBytes) {
    throw archiveRefused(`it is ${size} bytes; the limit is ${limits.maxArchiveBytes} bytes`, field);
  }
  const options = {
    lazyEntries: true,
    autoClose: false,
    // Names are decoded and checked below, with messages of our own.
    decodeStrings: false,
    validateEntrySizes: true,
  };
  // An archive already in memory (a multipart push) is read from there: through a file, every entry costs an open, a read and a close.
  const reader = Buffer.isBuffer(source) ? null : new ByteSourceReader(source);
  let zip: yauzl.ZipFile;
  try {
    zip = reader ? await yauzl.fromRandomAccessReaderPromise(reader, size, options) : await yauzl.fromBufferPromise(source as Buffer, options);
  } catch (error) {
    reader?.close(() => undefined);
    // The source's own refusal (an upload collected meanwhile, see uploads/content.ts) says more than "not a zip".
    if (error instanceof ValidationError) throw error;
    throw archiveRefused(`it is not a zip file (${describe(error)})`, field);
  }
  try {
    if (zip.entryCount > limits.maxEntries) {
      throw archiveRefused(`it has ${zip.entryCount} entries; the limit is ${limits.maxEntries}`, field);
    }
    const texts = await readEntries(zip, Buffer.isBuffer(source) ? source : null, limits, field);
    await requireDirectoryEnd(source, zip, field);
    return describeArchive(texts, field, limits.maxDeclaredResources);
  } finally {
    zip.close();
  }
}

async function readEntries(zip: yauzl.ZipFile, archive: Buffer | null, limits: ArchiveLimits, field: string): Promise<DescriptorTexts> {
  const texts: DescriptorTexts = {};
  const seen = new Map<string, string>();
  let total = 0;
  for (;;) {
    const entry = await nextEntry(zip, field);
    if (!entry) return texts;
    const name = entryName(entry, field);
    const pathProblem = entryPathProblem(name);
    if (pathProblem) throw archiveRefused(pathProblem, field);
    const normalPath = normalEntryPath(name);
    const earlier = seen.get(normalPath);
    if (earlier !== undefined) {
      throw archiveRefused(earlier === name ? `entry "${name}" appears twice` : `entries "${earlier}" and "${name}" are the same path`, field);
    }
    seen.set(normalPath, name);
    if (entry.isEncrypted()) throw archiveRefused(`entry "${name}" is encrypted`, field);
    if (entry.compressionMethod !== STORED && entry.compressionMethod !== DEFLATED) {
      throw archiveRefused(`entry "${name}" uses compression method ${entry.compressionMethod}; only stored and deflated entries are accepted`, field);
    }
    // The declared size is a cheap first check; the real one is counted below.
    if (entry.uncompressedSize > limits.maxEntryBytes) throw entryTooLarge(name, limits, field);
    if (name.endsWith('/')) continue;

    const symlink = isSymlinkEntry(entry.externalFileAttributes);
    const descriptor = (DESCRIPTOR_FILES as readonly string[]).includes(normalPath);
    const descriptorLimit = normalPath === METADATA_FILE ? limits.maxMetadataBytes : normalPath === VERSION_FILE ? MAX_VERSION_BYTES : MAX_DESCRIPTOR_BYTES;
    const keepBytes = symlink ? MAX_LINK_TARGET_BYTES : descriptor ? descriptorLimit : 0;
    const remainingTotal = limits.maxUncompressedBytes - total;
    const { bytes, kept } =
      (archive && (await inflateInMemory(zip, archive, entry, keepBytes, remainingTotal))) ??
      (await inflate(zip, entry, name, keepBytes, limits.maxEntryBytes, remainingTotal, limits, field));
    total += bytes;
    if (symlink) {
      if (kept === null) throw archiveRefused(`entry "${name}" is a link with an overlong target`, field);
      const problem = symlinkProblem(name, kept.toString('utf8'));
      if (problem) throw archiveRefused(problem, field);
    } else if (descriptor) {
      if (kept === null) throw archiveRefused(`${name} is larger than ${descriptorLimit} bytes, the limit for it`, field);
      const text = kept.toString('utf8');
      if (normalPath === METADATA_FILE) texts.metadata = text;
      else if (normalPath === MANIFEST_FILE) texts.manifest = text;
      else if (normalPath === BUNDLE_FILE) texts.bundle = text;
      else if (normalPath === CHARMCRAFT_FILE) texts.charmcraft = text;
      else if (normalPath === VERSION_FILE) texts.version = text;
    }
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * An entry's name: its bytes must be UTF-8 (whatever the language flag
 * says), and an Info-ZIP Unicode path field, which some extractors prefer,
 * may not name a different path than the bytes every other reader uses.
 */
function entryName(entry: yauzl.Entry, field: string): string {
  let name: string;
  try {
    name = UTF8.decode(entry.fileNameRaw);
  } catch {
    throw archiveRefused(`an entry name is not valid UTF-8 (bytes ${entry.fileNameRaw.toString('hex')})`, field);
  }
  const asExtractorsRead = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
  if (asExtractorsRead !== name) {
    throw archiveRefused(`entry "${name}" has a second, different name in its extra fields ("${asExtractorsRead}")`, field);
  }
  return name;
}

const END_SIGNATURES = new Set([
  0x06054b50, // end of central directory record
  0x06064b50, // zip64 end of central directory record
  0x05054b50, // central directory digital signature
]);
const CENTRAL_FILE_HEADER = 0x02014b50;

/**
 * yauzl reads exactly as many central directory records as the end record
 * declares; records past that count are invisible to it but not to other
 * readers (unzip lists them; Go's archive/zip, which Juju uses, refuses the
 * archive). So once the declared entries are read, the directory must end
 * there: the next bytes must be the end record, not more entries.
 */
async function requireDirectoryEnd(source: ByteSource | Buffer, zip: yauzl.ZipFile, field: string): Promise<void> {
  // yauzl's position after the last central directory record it read (not in its typings).
  const directoryEnd = (zip as unknown as { readEntryCursor: number }).readEntryCursor;
  const size = Buffer.isBuffer(source) ? source.length : source.size;
  if (!Number.isSafeInteger(directoryEnd) || directoryEnd + 4 > size) {
    throw archiveRefused('its central directory does not end where its end record says', field);
  }
  const signature = (await readRange(source, directoryEnd, directoryEnd + 4)).readUInt32LE(0);
  if (signature === CENTRAL_FILE_HEADER) {
    throw archiveRefused(`its central directory holds more entries than the ${zip.entryCount} its end record declares`, field);
  }
  if (!END_SIGNATURES.has(signature)) throw archiveRefused('its central directory does not end where its end record says', field);
}

async function readRange(source: ByteSource | Buffer, start: number, end: number): Promise<Buffer> {
  if (Buffer.isBuffer(source)) return source.subarray(start, end);
  const chunks: Buffer[] = [];
  for await (const chunk of source.openRange(start, end) as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
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
      if (error instanceof ValidationError) return reject(error);
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
    if (error instanceof ValidationError) throw error;
    throw archiveRefused(`entry "${name}" cannot be read (${describe(error)})`, field);
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  let checksum = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      checksum = crc32(chunk, checksum);
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
  // Extractors (unzip, Go's archive/zip) refuse an entry whose content does not match its CRC-32.
  if (checksum >>> 0 !== entry.crc32 >>> 0) throw archiveRefused(`entry "${name}" is corrupt: its content does not match its CRC-32`, field);
  return { bytes, kept: bytes <= keepBytes ? Buffer.concat(chunks) : null };
}

/** Entries up to this size (compressed and declared inflated) of an archive in memory are inflated in one synchronous call. */
const IN_MEMORY_ENTRY_BYTES = 256 * 1024;

/**
 * The fast way to read a small entry of an archive already in memory (a
 * multipart push): its bytes are sliced out of the buffer and inflated in
 * one call, instead of through yauzl's read stream, a zlib stream (a zlib
 * context and a thread-pool round trip per entry) and a byte-counting
 * stream: most of the CPU the inspection of a small archive cost.
 *
 * It only accepts: an entry that inflates cleanly to exactly its declared
 * size, within the remaining total, with the right CRC-32. Anything else
 * (or an entry too large to inflate without yielding) returns null and is
 * read again by `inflate`, whose refusal (message included) stands, so the
 * verdicts are the same whichever way an entry is read.
 */
async function inflateInMemory(
  zip: yauzl.ZipFile,
  archive: Buffer,
  entry: yauzl.Entry,
  keepBytes: number,
  remainingTotal: number,
): Promise<{ bytes: number; kept: Buffer | null } | null> {
  if (entry.compressedSize > IN_MEMORY_ENTRY_BYTES || entry.uncompressedSize > IN_MEMORY_ENTRY_BYTES) return null;
  let content: Buffer;
  try {
    // The same local header checks as yauzl's read stream (signature, data within the file).
    const { fileDataStart } = await zip.readLocalFileHeaderPromise(entry, { minimal: true });
    const data = archive.subarray(fileDataStart, fileDataStart + entry.compressedSize);
    // One byte more than declared is enough to see that an entry lies about its size.
    content = entry.compressionMethod === DEFLATED ? inflateRawSync(data, { maxOutputLength: entry.uncompressedSize + 1 }) : data;
  } catch {
    return null;
  }
  const bytes = content.length;
  if (bytes !== entry.uncompressedSize || bytes > remainingTotal || crc32(content) >>> 0 !== entry.crc32 >>> 0) return null;
  return { bytes, kept: bytes <= keepBytes ? content : null };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
