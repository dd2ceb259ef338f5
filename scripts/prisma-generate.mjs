// Runs `prisma generate` without network access. The Prisma CLI insists on
// locating its native schema engine even though generating the client does
// not use it, and would download one; pointing PRISMA_SCHEMA_ENGINE_BINARY at
// any existing file (here: the node binary) satisfies that check.
import { spawnSync } from 'node:child_process';

const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
const result = spawnSync('npx', ['--no-install', 'prisma', 'generate'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
