import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * A scavenge (V8's young-generation collection), for code that makes short-lived off-heap garbage faster
 * than V8 collects it on its own: Node hands each chunk of a request body (up to 64 KiB) over in a buffer
 * of its own, outside V8's heap, freed only when a scavenge collects its wrapper, and V8 forces a scavenge
 * for such buffers only once they add up to ~32 MiB (with Node's default 16 MiB semi-space); glibc then
 * keeps the freed blocks. A scavenge of a young generation of mostly garbage takes well under a
 * millisecond. `--expose-gc` set at run time exposes `gc` to new contexts only: the application's own
 * global has no `gc`, and nothing else changes.
 */
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as (options: { type: 'minor' | 'major' }) => void;

/**
 * Counts the bytes of chunks that the caller has copied and let go of, and runs a scavenge every `interval`
 * of them. Only for chunks nothing keeps: a chunk still referenced survives the scavenge and is promoted to
 * the old generation, whose buffers only a full collection frees (the S3 store, which holds a part's chunks
 * until the part is sent, does not use this).
 */
export function youngGarbageCollector(interval: number): (droppedBytes: number) => void {
  let sinceScavenge = 0;
  return (droppedBytes) => {
    sinceScavenge += droppedBytes;
    if (sinceScavenge < interval) return;
    sinceScavenge = 0;
    gc({ type: 'minor' });
  };
}
