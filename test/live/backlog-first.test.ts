import { describe, expect, it } from 'vitest';
import type { EntityChangeEvent } from '../../src/services/live/change-feed.js';
import { backlogFirst } from '../../src/services/live/subscribe-changes.js';

// A resumed subscription listens to the feed before it reads its backlog, so a change committed meanwhile
// may arrive live before the backlog does; it must still be delivered after the older changes.
const change = (eventId: number): EntityChangeEvent => ({ eventId, kind: 'RELEASE', entityId: 1, at: new Date(0), channels: ['latest/edge'] });

describe('a resumed subscription', () => {
  it('delivers its backlog before the live changes that arrived while the backlog was read, then live ones at once', () => {
    const delivered: number[] = [];
    const order = backlogFirst((event) => delivered.push(event.eventId));
    // Resuming after 30: 40 commits and arrives live while 32..40 are being read.
    order.live(change(40));
    expect(delivered).toEqual([]);
    order.caughtUp([32, 33, 35, 40].map(change));
    // 40 comes twice (backlog and live): skipping the duplicate is the deliverer's job, the order is this one's.
    expect(delivered).toEqual([32, 33, 35, 40, 40]);
    order.live(change(41));
    expect(delivered.at(-1)).toBe(41);
  });

  it('delivers what arrived live even when the backlog is empty', () => {
    const delivered: number[] = [];
    const order = backlogFirst((event) => delivered.push(event.eventId));
    order.live(change(7));
    order.caughtUp([]);
    order.live(change(8));
    expect(delivered).toEqual([7, 8]);
  });
});
