import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';

/**
 * Zips a charm or bundle directory the way `charm push .` does (juju/charm's
 * CharmDir.ArchiveTo): top-level hidden entries (`.git`, `.tox`, ...), the
 * top-level `build` directory and `revision` file are left out; symbolic
 * links are kept as links; anything else that is not a file or directory
 * (sockets, devices) is refused. Files keep their permission bits, so hooks
 * stay executable. Entries are added in sorted order, so the same tree gives
 * the same archive content (the store then answers `duplicate`).
 */
export async function zipDirectory(root: string, target: string): Promise<void> {
  const zip = new yazl.ZipFile();
  const written = pipeline(zip.outputStream, createWriteStream(target));
  // Fixed timestamps: identical trees give identical archives.
  const mtime = new Date('2000-01-01T00:00:00Z');
  const visit = async (relative: string): Promise<void> => {
    const entries = (await fs.readdir(path.join(root, relative), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const name = relative ? `${relative}/${entry.name}` : entry.name;
      if (!relative && (entry.name.startsWith('.') || entry.name === 'revision' || (entry.name === 'build' && entry.isDirectory()))) continue;
      const full = path.join(root, name);
      const stat = await fs.lstat(full);
      if (stat.isSymbolicLink()) {
        zip.addBuffer(Buffer.from(await fs.readlink(full)), name, { mode: stat.mode, mtime, compress: false });
      } else if (stat.isDirectory()) {
        zip.addEmptyDirectory(name, { mode: stat.mode, mtime });
        await visit(name);
      } else if (stat.isFile()) {
        zip.addFile(full, name, { mode: stat.mode, mtime });
      } else {
        throw new Error(`${full} is neither a file, a directory nor a symbolic link: remove it or move it out of the charm`);
      }
    }
  };
  try {
    await visit('');
  } finally {
    zip.end();
  }
  await written;
}
