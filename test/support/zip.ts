import { crc32, deflateRawSync } from 'node:zlib';

/** One entry of a test archive. */
export interface ZipEntry {
  name: string;
  data?: string | Buffer;
  /** Deflate (the default) or store. */
  method?: 'deflate' | 'store';
  /** Unix mode bits, e.g. 0o120777 for a symlink (whose data is its target). */
  mode?: number;
  /** Lie about the inflated size in the headers (zip bombs). */
  declaredSize?: number;
  /** The name's bytes as written, instead of `name` in UTF-8 (e.g. invalid UTF-8). */
  rawName?: Buffer;
  /** Lie about the CRC-32 of the content. */
  crc?: number;
}

export interface ZipOptions {
  /** Lie about the number of entries in the end record (entries past it are hidden from some readers). */
  declaredEntries?: number;
}

/**
 * A minimal zip writer for fixtures. Library writers (yazl) refuse the
 * malformed archives the tests need: absolute paths, "..", links pointing
 * outside, headers that lie about sizes.
 */
export function buildZip(entries: ZipEntry[], options: ZipOptions = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = entry.rawName ?? Buffer.from(entry.name, 'utf8');
    const data = typeof entry.data === 'string' ? Buffer.from(entry.data, 'utf8') : (entry.data ?? Buffer.alloc(0));
    const deflate = (entry.method ?? 'deflate') === 'deflate' && !entry.name.endsWith('/');
    const body = deflate ? deflateRawSync(data) : data;
    const crc = entry.crc ?? crc32(data);
    const size = entry.declaredSize ?? data.length;
    const mode = entry.mode ?? (entry.name.endsWith('/') ? 0o040755 : 0o100644);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(deflate ? 8 : 0, 8);
    local.writeUInt32LE(0, 10); // time, date
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, body);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(deflate ? 8 : 0, 10);
    central.writeUInt32LE(0, 12);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(0, 30); // extra
    central.writeUInt16LE(0, 32); // comment
    central.writeUInt16LE(0, 34); // disk
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE((mode << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(options.declaredEntries ?? entries.length, 8);
  end.writeUInt16LE(options.declaredEntries ?? entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

export interface CharmOptions {
  name: string;
  summary?: string;
  description?: string;
  series?: string[];
  resources?: Record<string, { type?: string; description?: string }>;
  /** Extra text so that two pushes differ. */
  revisionNote?: string;
  extra?: ZipEntry[];
}

/** A charm archive: metadata.yaml (JSON is YAML), a manifest.yaml and a hook. */
export function charmZip(options: CharmOptions): Buffer {
  const metadata: Record<string, unknown> = {
    name: options.name,
    summary: options.summary ?? `The ${options.name} charm`,
    description: options.description ?? `Deploys ${options.name}.`,
  };
  if (options.series) metadata.series = options.series;
  if (options.resources) metadata.resources = options.resources;
  return buildZip([
    { name: 'metadata.yaml', data: JSON.stringify(metadata) },
    { name: 'manifest.yaml', data: 'bases:\n  - name: ubuntu\n    channel: "22.04"\n    architectures: [amd64]\n' },
    { name: 'hooks/' },
    { name: 'hooks/install', data: `#!/bin/sh\necho ${options.revisionNote ?? 'first'}\n`, mode: 0o100755 },
    ...(options.extra ?? []),
  ]);
}

/** A bundle archive: bundle.yaml with applications. */
export function bundleZip(options: { name?: string; applications?: Record<string, string>; description?: string; legacyServices?: boolean }): Buffer {
  const applications = Object.fromEntries(
    Object.entries(options.applications ?? { wiki: 'cs:~kirk/mediawiki', db: 'cs:mysql-57' }).map(([app, charm]) => [app, { charm, num_units: 1 }]),
  );
  const bundle: Record<string, unknown> = { [options.legacyServices ? 'services' : 'applications']: applications };
  if (options.name) bundle.name = options.name;
  if (options.description) bundle.description = options.description;
  return buildZip([{ name: 'bundle.yaml', data: JSON.stringify(bundle) }, { name: 'README.md', data: '# A bundle\n' }]);
}
