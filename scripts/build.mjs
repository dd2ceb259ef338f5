// Compiles src/ to dist/ (one JavaScript module per TypeScript module, same
// layout, so paths relative to a module such as ../../prisma/migrations stay
// right) for `npm start` and the `charmstore` command: loading the sources
// through tsx costs seconds of start-up and ~34 MiB. Run by `prepare`, so
// `npm ci` builds it. esbuild comes with tsx and needs no install script (its
// binary is the @esbuild/<platform> package); it only strips types:
// `npm run typecheck` checks them.
//
// `node scripts/build.mjs <dir>` builds into <dir> instead, a directory
// directly under the repository (the test run's build of the sources for the
// servers it spawns; see test/support/global-setup.ts).
import fs from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const src = path.join(root, 'src');
const dist = path.join(root, process.argv[2] ?? 'dist');
if (path.dirname(dist) !== root) throw new Error(`${dist}: the build must be a directory directly under ${root}, for paths relative to its modules to hold`);
const files = [];
for (const entry of await fs.readdir(src, { recursive: true, withFileTypes: true })) {
  if (entry.isFile()) files.push(path.relative(src, path.join(entry.parentPath, entry.name)));
}
const entryPoints = files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')).map((file) => path.join(src, file));
await fs.rm(dist, { recursive: true, force: true });
// Everything else (the web UI's page and script, read next to the module that serves them) is copied as is.
for (const file of files.filter((name) => !name.endsWith('.ts'))) {
  await fs.mkdir(path.dirname(path.join(dist, file)), { recursive: true });
  await fs.copyFile(path.join(src, file), path.join(dist, file));
}
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
