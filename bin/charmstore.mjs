#!/usr/bin/env node
// The `charmstore` command: the TypeScript sources run through tsx, as the
// server does (`npm start`), so a fresh `npm ci` is all it needs.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/run.ts');
process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});
