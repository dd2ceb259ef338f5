import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { FileBlobStore } from '../../src/blobs/file-blob-store.js';
import { describeBlobStoreConformance } from './conformance.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
});

describeBlobStoreConformance({
  name: 'filesystem',
  open: async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'charmstore-conformance-'));
    dirs.push(dir);
    return FileBlobStore.open(dir);
  },
});
