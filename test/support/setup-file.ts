// Runs before every test file (vitest setupFiles).
import { afterAll, onTestFinished } from 'vitest';
import { onServerSpawned } from './process.js';

// A server spawned by a test dies when that test ends, passed, failed or
// timed out; one spawned in beforeAll dies with the file.
const fileServers = new Set<() => void>();
onServerSpawned((kill) => {
  try {
    onTestFinished(kill);
  } catch {
    fileServers.add(kill);
  }
});
afterAll(() => {
  for (const kill of fileServers) kill();
  fileServers.clear();
});
