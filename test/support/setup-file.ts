// Runs before every test file (vitest setupFiles).
import { afterAll, inject, onTestFinished } from 'vitest';
import { onServerSpawned, runServersFrom } from './process.js';
import { TEST_RUN_MARKER } from './process-tree.js';

// Spawned servers inherit it, for the global teardown to find survivors.
process.env[TEST_RUN_MARKER] = inject('testRunMarker');

// Spawned servers run this run's compiled build of the sources.
runServersFrom(inject('serverBuild'));

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
