// Compiles src/ to dist/ (one JavaScript module per TypeScript module, same
// layout, so paths relative to a module such as ../../prisma/migrations stay
// right) for `npm start` and the `charmstore` command: loading the sources
// through tsx costs seconds of start-up and ~34 MiB. Run by `prepare`, so
// `npm ci` builds it. esbuild comes with tsx and needs no install script (its
// binary is the @esbuild/<platform> package); it only strips types:
// `npm run typecheck` checks them.
import fs from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');
const entryPoints = (await fs.readdir(src, { recursive: true }))
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
  .map((file) => path.join(src, file));
await fs.rm(dist, { recursive: true, force: true });
await build({
  entryPoints,
  outdir: dist,
  outbase: src,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});
