// Preloaded into the store by `BENCH_PROFILE_DIR=dir npm run bench:reads` (node --import):
// a CPU profile of the whole run, written to dir when the process exits.
// (`node --cpu-prof` itself is not allowed in NODE_OPTIONS.)
import fs from 'node:fs';
import inspector from 'node:inspector';
import path from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR;
const session = new inspector.Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 1000 });
session.post('Profiler.start');
process.on('exit', () => {
  session.post('Profiler.stop', (error, result) => {
    if (error || !dir) return;
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `store-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
  });
});
