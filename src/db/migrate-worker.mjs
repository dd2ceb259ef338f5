// Entry point of the migration worker thread (see migrate-in-worker.ts).
//
// A worker thread does not inherit the tsx loader the main thread runs under
// (Node 20 applies `--import tsx` hooks to the main thread only), so this
// plain-JavaScript file registers tsx for the worker, then loads the
// TypeScript that does the work.
import { register } from 'tsx/esm/api';

register();
await import('./migrate-worker-main.ts');
