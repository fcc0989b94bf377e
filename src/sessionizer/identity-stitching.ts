import type { ClickEvent } from '../core/index.js';
import type { VisitorHash } from './hash.js';
import { setUser } from './session-mutations.js';
import type { SessionEmitter } from './session-emitter.js';
import { FLAG_CLOSED, USER_ID } from './session-store.js';
import type { SessionizerState } from './sessionizer-state.js';

/**
 * Identity stitching after an accepted event: an event with both ids (identify, and every event
 * after it) links its anonymousId to its userId; an alias links its previousId. A new link is
 * emitted (storage keeps the identities table) and fills in the user of that id's open sessions
 * held here; later sessions of the id get it from the map at creation. `target` (the event's own
 * session) already has the user from the event; `hash` is the event's visitor hash.
 *
 * NOTE: closed sessions are left as they were emitted: their close is the final word (and in
 * eager mode they may still reopen, then taking the user from the map's next event).
 */
export function stitchIdentities(
  state: SessionizerState,
  emitter: SessionEmitter,
  event: ClickEvent,
  target: number,
  hash: VisitorHash,
): void {
  const user = event.userId;
  if (user === null || user === '') return;
  if (event.anonymousId !== null && event.anonymousId !== '') {
    link(state, emitter, event, event.anonymousId, user, target, hash);
  }
  if (event.type === 'alias' && event.previousId !== null && event.previousId !== '') {
    link(state, emitter, event, event.previousId, user, target, hash);
  }
}

function link(
  state: SessionizerState,
  emitter: SessionEmitter,
  event: ClickEvent,
  anonymousId: string,
  userId: string,
  target: number,
  hash: VisitorHash,
): void {
  // Usually the anonymous id is the visitor, whose hash is at hand.
  const known = anonymousId === event.visitor ? hash : undefined;
  if (!state.identities.link(event.site, anonymousId, userId, known)) return;
  emitter.identity(event, anonymousId, userId);
  const { store } = state;
  for (let slot = state.head(event.site, anonymousId, known); slot !== -1;) {
    if (slot !== target && !store.hasFlag(slot, FLAG_CLOSED) && store.i32(slot, USER_ID) === 0) {
      setUser(state, slot, userId);
      emitter.update(state, slot, event, known);
    }
    slot = store.next(slot);
  }
}
