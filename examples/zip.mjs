#!/usr/bin/env node
// node examples/zip.mjs <directory> <archive.zip>
//
// Zips a charm or bundle directory (its files at the archive's root), for
// machines without `zip` (a fresh Debian has none; Node.js is there since the
// store needs it). Entries are sorted and carry no timestamps, so the same
// directory always gives the same bytes and pushing it again is a duplicate.
// Executable bits (hooks) are kept.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';

const [directory, archive] = process.argv.slice(2);
if (!directory || !archive) {
  console.error('usage: node examples/zip.mjs <directory> <archive.zip>');
  process.exit(2);
}

/** Every regular file under `root`, as paths relative to it with `/` separators, sorted. */
function listFiles(root, prefix = '') {
  return readdirSync(path.join(root, prefix), { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((entry) => {
      const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) return listFiles(root, relative);
      return entry.isFile() ? [relative] : [];
    });
}

const locals = [];
const centrals = [];
let offset = 0;
for (const file of listFiles(directory)) {
  const name = Buffer.from(file, 'utf8');
  const data = readFileSync(path.join(directory, file));
  const body = deflateRawSync(data);
  const crc = crc32(data);
  const mode = statSync(path.join(directory, file)).mode & 0o111 ? 0o100755 : 0o100644;

  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0); // local file header
  local.writeUInt16LE(20, 4); // version needed: 2.0
  local.writeUInt16LE(0x0800, 6); // UTF-8 names
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt32LE(0x00210000, 10); // 1980-01-01 00:00, the earliest a zip can say
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(body.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(name.length, 26);
  locals.push(local, name, body);

  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0); // central directory header
  central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, 2.0
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(0x0800, 8);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(0x00210000, 12);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(body.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(name.length, 28);
  central.writeUInt32LE(mode * 0x10000, 38); // Unix mode in the external attributes
  central.writeUInt32LE(offset, 42);
  centrals.push(central, name);
  offset += local.length + name.length + body.length;
}

const directoryBytes = Buffer.concat(centrals);
const end = Buffer.alloc(22);
end.writeUInt32LE(0x06054b50, 0); // end of central directory
end.writeUInt16LE(centrals.length / 2, 8);
end.writeUInt16LE(centrals.length / 2, 10);
end.writeUInt32LE(directoryBytes.length, 12);
end.writeUInt32LE(offset, 16);
writeFileSync(archive, Buffer.concat([...locals, directoryBytes, end]));
