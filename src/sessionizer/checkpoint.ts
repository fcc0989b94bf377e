import { crc32 } from 'node:zlib';
import { StateError } from '../core/index.js';
import { ByteReader, ByteWriter } from './byte-codec.js';
import { pageOfTag, tagOf } from './event-logs.js';
import { keyHash } from './hash.js';
import { CLOSE_MODES, type SessionizerConfig } from './options.js';
import {
  CONVERSIONS,
  END_OFFSET,
  EVENTS,
  EXIT_OFFSET,
  FLAG_BOT,
  FLAG_CLOSED,
  HASH,
  PAGEVIEWS,
  STRING_FIELDS,
  VERSION,
} from './session-store.js';
import { SessionizerState } from './sessionizer-state.js';

/**
 * The sessionizer's checkpoint: a versioned, checksummed binary image of its logical state —
 * every session still held (open, or closed and kept for late data) with its event log, the
 * watermark, the identity links — but none of its layout (slots, free lists, timer buckets, ids
 * of interned strings). A restore rebuilds the layout, and since no output depends on the layout
 * (partition-sessionizer.ts sorts what it closes), a restored sessionizer behaves exactly as the
 * one that wrote the checkpoint would have.
 *
 *   "PCSZ" u16:version  body  u32:crc32(everything before)
 *   body = config, clocks, string table, page-type table, keys with their sessions, identities
 *
 * Strings are numbered in the order the sessions first use them (0 is ''), so the same state
 * always gives the same bytes.
 */
const MAGIC = Buffer.from('PCSZ', 'latin1');
export const CHECKPOINT_VERSION = 1;

const NONE = -1;
const PERSISTED_FLAGS = FLAG_BOT | FLAG_CLOSED;

export function encodeCheckpoint(state: SessionizerState): Buffer {
  const { store, logs } = state;
  const strings = new Numbering();
  const pages = new Numbering();
  // Keys in the order of their first session's slot: a restore allocates slots in checkpoint
  // order, so a restored sessionizer writes the very same bytes again.
  const heads = [...state.keys.slots()].sort((a, b) => a - b);
  const keys: (readonly [number, string, number])[] = [];
  for (const head of heads) {
    let count = 0;
    for (let slot = head; slot !== NONE; slot = store.next(slot)) {
      count += 1;
      for (const field of STRING_FIELDS) {
        strings.number(state.tableOf(field).name(store.i32(slot, field)));
      }
      const n = logs.count(slot);
      for (let i = 0; i < n; i++) pages.number(state.pages.name(pageOfTag(logs.word(slot, i, 2))));
    }
    keys.push([head, store.visitorOf(head), count]);
  }

  const out = new ByteWriter();
  out.bytes(MAGIC);
  out.u16(CHECKPOINT_VERSION);
  writeConfig(out, state.config);
  out.f64(state.maxEventTime);
  out.f64(state.watermark);
  out.f64(state.lastArrival);
  strings.write(out);
  pages.write(out);
  out.u32(keys.length);
  for (const [head, visitor, count] of keys) {
    out.str(state.siteOf(head));
    out.str(visitor);
    out.u32(count);
    for (let slot = head; slot !== NONE; slot = store.next(slot)) {
      out.f64(store.start(slot));
      out.u32(store.u32(slot, END_OFFSET));
      out.u32(store.u32(slot, EXIT_OFFSET));
      out.u32(store.u32(slot, EVENTS));
      out.u32(store.u32(slot, PAGEVIEWS));
      out.u32(store.u32(slot, CONVERSIONS));
      out.f64(store.revenue(slot));
      out.u32(store.u32(slot, VERSION));
      for (const field of STRING_FIELDS) {
        out.u32(strings.number(state.tableOf(field).name(store.i32(slot, field))));
      }
      out.u8(store.flags(slot) & PERSISTED_FLAGS);
      const n = logs.count(slot);
      out.u16(n);
      for (let i = 0; i < n; i++) {
        const tag = logs.word(slot, i, 2);
        out.u32(logs.word(slot, i, 0));
        out.u32(logs.word(slot, i, 1));
        out.u32(tagOf(pages.number(state.pages.name(pageOfTag(tag))), tag));
      }
    }
  }
  out.u32(state.identities.size);
  for (const [site, anonymousId, userId] of state.identities.entries()) {
    out.str(site);
    out.str(anonymousId);
    out.str(userId);
  }
  const body = out.finish();
  const sealed = Buffer.allocUnsafe(body.length + 4);
  body.copy(sealed);
  sealed.writeUInt32LE(crc32(body), body.length);
  return sealed;
}

/**
 * A fresh state holding the checkpoint's content; throws StateError when the checkpoint is
 * corrupt, of another version, or was written under other internal options. A checkpoint taken
 * under other session rules (see RULES) restores under the current ones: `rulesChanged` gets
 * one line per rule that changed.
 */
export function decodeCheckpoint(
  config: SessionizerConfig,
  buffer: Buffer,
  rulesChanged: string[] = [],
): SessionizerState {
  if (buffer.length < MAGIC.length + 6 || !buffer.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new StateError('checkpoint_corrupt', 'not a sessionizer checkpoint');
  }
  const bodyEnd = buffer.length - 4;
  if (crc32(buffer.subarray(0, bodyEnd)) !== buffer.readUInt32LE(bodyEnd)) {
    throw new StateError('checkpoint_corrupt', 'sessionizer checkpoint checksum mismatch');
  }
  const input = new ByteReader(buffer, MAGIC.length, bodyEnd);
  const version = input.u16();
  if (version !== CHECKPOINT_VERSION) {
    throw new StateError(
      'checkpoint_version',
      `sessionizer checkpoint version ${version}, this build reads ${CHECKPOINT_VERSION}`,
    );
  }
  checkConfig(input, config, rulesChanged);
  const state = new SessionizerState(config);
  state.maxEventTime = input.f64();
  state.watermark = input.f64();
  state.lastArrival = input.f64();
  const strings = readTable(input);
  const pages = readTable(input);
  const name = (table: readonly string[], index: number): string => {
    const value = table[index];
    if (value === undefined) throw new StateError('checkpoint_corrupt', `bad string ${index}`);
    return value;
  };
  const { store, logs } = state;
  const scheduled: number[] = [];
  for (let k = input.u32(); k > 0; k--) {
    const siteId = state.siteId(input.str());
    const visitor = input.str();
    let prev = NONE;
    let head = NONE;
    for (let n = input.u32(); n > 0; n--) {
      const slot = store.alloc();
      store.setSite(slot, siteId);
      store.visitor[slot] = visitor;
      const hash = keyHash(visitor, siteId);
      store.set(slot, HASH, hash);
      store.setStart(slot, input.f64());
      store.set(slot, END_OFFSET, input.u32());
      store.set(slot, EXIT_OFFSET, input.u32());
      store.set(slot, EVENTS, input.u32());
      store.set(slot, PAGEVIEWS, input.u32());
      store.set(slot, CONVERSIONS, input.u32());
      store.setRevenue(slot, input.f64());
      store.set(slot, VERSION, input.u32());
      for (const field of STRING_FIELDS) {
        store.set(slot, field, state.tableOf(field).intern(name(strings, input.u32())));
      }
      const flags = input.u8() & PERSISTED_FLAGS;
      if ((flags & FLAG_BOT) !== 0) store.setFlag(slot, FLAG_BOT, true);
      if ((flags & FLAG_CLOSED) !== 0) {
        store.setFlag(slot, FLAG_CLOSED, true);
        state.closedCount += 1;
      }
      const entries = input.u16();
      logs.open(slot, entries);
      for (let i = 0; i < entries; i++) {
        const offset = input.u32();
        const fp = input.u32();
        const tag = input.u32();
        const page = pageOfTag(tag);
        const id = page === 0 ? 0 : state.pages.intern(name(pages, page));
        logs.push(slot, offset, fp, tagOf(id, tag));
      }
      state.link(slot, prev, head, hash);
      if (head === NONE) head = slot;
      prev = slot;
      scheduled.push(slot);
    }
  }
  // Due times depend on the next session of the key, so they are set once all are linked.
  for (const slot of scheduled) state.schedule(slot);
  for (let n = input.u32(); n > 0; n--) {
    state.identities.link(input.str(), input.str(), input.str());
  }
  if (input.remaining !== 0) {
    throw new StateError('checkpoint_corrupt', `${input.remaining} unread checkpoint bytes`);
  }
  return state;
}

/**
 * Dense numbering of the strings a checkpoint uses, in first-use order (0 stays ''). By name,
 * not by interned id: user ids and the other strings are interned in separate tables.
 */
class Numbering {
  private readonly index = new Map<string, number>([['', 0]]);
  private readonly names: string[] = [];

  number(name: string): number {
    const known = this.index.get(name);
    if (known !== undefined) return known;
    this.names.push(name);
    const assigned = this.names.length;
    this.index.set(name, assigned);
    return assigned;
  }

  write(out: ByteWriter): void {
    out.u32(this.names.length);
    for (const name of this.names) out.str(name);
  }
}

function readTable(input: ByteReader): string[] {
  const table = [''];
  for (let n = input.u32(); n > 0; n--) table.push(input.str());
  return table;
}

const CONFIG_FIELDS = [
  'gapMs',
  'maxLengthMs',
  'outOfOrdernessMs',
  'allowedLatenessMs',
  'idleTimeoutMs',
  'maxLeadOverReceivedMs',
  'maxTrackedEvents',
  'maxIdentities',
] as const;

function writeConfig(out: ByteWriter, config: SessionizerConfig): void {
  for (const field of CONFIG_FIELDS) out.f64(config[field]);
  out.u8(config.splitOnCampaign ? 1 : 0);
  out.u8(CLOSE_MODES.indexOf(config.closeMode));
}

/**
 * The session rules a site owner sets (PATHCAST_SESSION_*). A checkpoint restores under new ones:
 * open sessions keep what they hold, their closes are scheduled by the new rules, and events from
 * here on are cut by them. (A crash restart never changes them, so exact recovery is unaffected.)
 */
const RULES: ReadonlySet<string> = new Set([
  'gapMs',
  'maxLengthMs',
  'outOfOrdernessMs',
  'allowedLatenessMs',
  'splitOnCampaign',
]);

// NOTE: the other options shape the state itself (event-log capacity, identity bound, close
// mode) or its clocks, so a restore under other values of those is refused, not guessed at.
function checkConfig(input: ByteReader, config: SessionizerConfig, rulesChanged: string[]): void {
  const differs = (field: string, was: unknown, now: unknown): void => {
    if (RULES.has(field)) {
      rulesChanged.push(`${field} ${String(was)} -> ${String(now)}`);
      return;
    }
    throw new StateError(
      'checkpoint_config_mismatch',
      `sessionizer checkpoint was written with ${field}=${String(was)}, this sessionizer has ${String(now)}`,
    );
  };
  for (const field of CONFIG_FIELDS) {
    const was = input.f64();
    if (was !== config[field]) differs(field, was, config[field]);
  }
  const split = input.u8() === 1;
  if (split !== config.splitOnCampaign) differs('splitOnCampaign', split, config.splitOnCampaign);
  const mode = CLOSE_MODES[input.u8()];
  if (mode !== config.closeMode) differs('closeMode', mode, config.closeMode);
}
