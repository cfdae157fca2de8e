import { describe, expect, it } from 'vitest';
import { SessionChains } from '../../src/engine/request/session-chain.js';
import type { SessionPlace } from '../../src/engine/session/ticket.js';

const place = (sessionId: string): SessionPlace => ({ sessionId, turn: {} });

describe('SessionChains', () => {
  it("follows a session's latest run until that run settles", () => {
    const chains = new SessionChains();
    const a1 = place('a');
    chains.add(a1, { id: 1 });
    expect(chains.last('a')).toEqual({ place: a1, run: { id: 1 } });
    expect(chains.last('b')).toBeUndefined();

    // a later request queued behind it takes its place; the earlier one's end changes nothing
    const a2 = place('a');
    chains.add(a2, { id: 2 });
    chains.end(a1);
    expect(chains.last('a')?.run.id).toBe(2);
    chains.end(a2);
    expect(chains.last('a')).toBeUndefined();

    // the slot is reused by the session's next request
    const a3 = place('a');
    chains.add(a3, { id: 3 });
    expect(chains.last('a')).toEqual({ place: a3, run: { id: 3 } });
  });

  it('hands out a copy: a link read before the next add still names the run it was read for', () => {
    const chains = new SessionChains();
    chains.add(place('a'), { id: 1 });
    const link = chains.last('a')!;
    chains.add(place('a'), { id: 2 });
    expect(link.run.id).toBe(1);
  });

  it('keeps thousands of sessions apart, settled ones among them', () => {
    const chains = new SessionChains();
    const places = Array.from({ length: 3000 }, (_, i) => place(`s${i}`));
    places.forEach((p, i) => {
      chains.add(p, { id: i });
      if (i % 2 === 0) chains.end(p);
    });
    places.forEach((p, i) =>
      expect(chains.last(p.sessionId)?.run.id).toBe(i % 2 === 0 ? undefined : i),
    );
  });
});
