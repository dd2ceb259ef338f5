// Compiles src/ to dist/ (one JavaScript module per TypeScript module, same
// layout, so paths relative to a module such as ../../prisma/migrations stay
// right) for `npm start` and the `charmstore` command: loading the sources
// through tsx costs seconds of start-up and ~34 MiB. Run by `prepare`, so
// `npm ci` builds it. esbuild comes with tsx and needs no install script (its
// binary is the @esbuild/<platform> package); it only strips types:
// `npm run typecheck` checks them.
//
// The server's entry point, dist/main.js, is then replaced by a bundle: the
// server's modules and most of its dependencies in a few files (next to it in
// dist/, split where main.ts imports lazily, so that the settings are still
// checked before the app loads). Node loads ~900 ES modules one by one
// otherwise (257 of them @graphql-tools/utils): the bundle saves ~0.5 s of CPU at
// every start (docs/performance.md). Left out of it: packages that read files
// next to their own modules (PGlite, Prisma's WebAssembly), those loaded
// only when configured (the S3 SDK, OpenTelemetry's SDK), and `pg`, which
// OpenTelemetry's instrumentation patches as Node loads it (src/tracing.ts):
// a copy inside the bundle would never be patched.
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
  // Stack traces need the mappings only: without the sources' text, the maps
  // that --enable-source-maps parses at every start are a fraction of the size.
  sourcesContent: false,
  logLevel: 'warning',
});

/**
 * A module of src/ that resolves paths relative to itself (`new
 * URL('./ui/index.html', import.meta.url)`, the migrations, the migration
 * child) gets the URL its one-module-per-file build has in dist/, which sits
 * next to the bundle: every file of the bundle is directly in dist/.
 */
const moduleUrls = {
  name: 'module-urls',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (!args.path.startsWith(src + path.sep)) return undefined;
      const contents = await fs.readFile(args.path, 'utf8');
      if (!contents.includes('import.meta.url')) return { contents, loader: 'ts' };
      const compiled = `./${path.relative(src, args.path).split(path.sep).join('/').replace(/\.ts$/, '.js')}`;
      return { contents: contents.replaceAll('import.meta.url', `new URL(${JSON.stringify(compiled)}, import.meta.url).href`), loader: 'ts' };
    });
  },
};
await build({
  entryPoints: [path.join(src, 'main.ts')],
  outdir: dist,
  bundle: true,
  splitting: true,
  chunkNames: 'main-[name]-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // Stack traces need the mappings only: without the sources' text, the maps
  // that --enable-source-maps parses at every start are a fraction of the size.
  sourcesContent: false,
  logLevel: 'warning',
  // OpenTelemetry's SDK and instrumentations, not its API: prom-client loads
  // the API at start-up (for exemplars, which the store does not use), ~25 ms
  // of CPU from ~30 files of node_modules, a few ms from the bundle. The API
  // keeps its state on globalThis, so the bundle's copy and the SDK's agree.
  external: [
    '@electric-sql/pglite',
    '@electric-sql/pglite/*',
    'pglite-prisma-adapter',
    '@prisma/*',
    '@aws-sdk/*',
    '@opentelemetry/sdk-node',
    '@opentelemetry/exporter-trace-otlp-http',
    '@opentelemetry/instrumentation-http',
    '@opentelemetry/instrumentation-pg',
    'pg',
    'pg-native',
  ],
  // The CommonJS dependencies in an ES module bundle call require() for Node's own modules.
  banner: { js: "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);" },
  plugins: [moduleUrls],
});
