import {
  FIELD_LIMITS,
  LIMITS,
  SEGMENT_TYPES,
  eventTimeAccepted,
  parseSentAt,
  parseTimeIn,
  type SegmentType,
} from '../../ingest/index.js';
import { createJsonScanner, SCAN_MAX_BYTES, type JsonScanner } from './json-scan.js';

/**
 * A batch request read without JSON.parse.
 *
 * A tracker's batch (one visitor's events, no IP, no batch context, a small body) is logged as
 * its body, in one record (acceptEvents); the collector only has to know that every event of it
 * is valid and whose it is. Any other valid batch (a server-side SDK's: many visitors, each
 * event with its visitor's `context.ip`) is logged event by event, each event's JSON without its
 * IP. Building the whole object tree for either was the largest cost of such a request: for a
 * tracker's 10 KB batch JSON.parse took about a third of the collector's CPU time (see the
 * collector benchmark's floor), and for a server batch JSON.parse and the JSON.stringify of
 * each event's record took nearly half. This reader checks the same JSON grammar without
 * building anything, reads only the fields validation needs, applies the same checks as the
 * event schema, identity and time steps, and cuts each event's JSON (and its IP) out of the
 * body as text.
 *
 * It reads bytes, after a first pass in WebAssembly (json-scan.ts) that refuses control bytes
 * and backslashes and lists where the quotes are; strings are stepped over by that list, and
 * only the few values the checks need are cut out as strings.
 *
 * It answers only for bodies it is sure of and leaves everything else to the general path
 * (undefined), which then parses, validates and answers as always:
 * - bytes below 0x20 or a backslash anywhere, or a space between tokens: undefined. So no
 *   string needs decoding, no raw control character can hide in one, every quote opens or
 *   closes a string, and the reader never skips whitespace: SDKs send JSON.stringify's
 *   compact form; anything else (pretty-printed JSON) takes the general path;
 * - a batch context, a `context.ip` that is not a string or comes twice, a number where an id
 *   may be one, a repeated field: undefined;
 * - a batch logged event by event with a number JSON.stringify would write otherwise (`1.50`,
 *   `1E3`, `-0`, more than 15 digits): undefined, so that each event's text is exactly what
 *   the general path's JSON.stringify writes;
 * - any event that a check would refuse: undefined (the general path names the refusal). A
 *   string's length is checked in bytes, never fewer than its characters (UTF-16 units), so a
 *   string within a limit here is within the schema's;
 * - no WebAssembly SIMD in this runtime: undefined for every body.
 * So whatever it accepts, the general path accepts too, with the same records: a differential
 * test holds the two to that on generated and mutated bodies.
 */
export interface CompactBatch {
  /** The body as text, as a one-record batch's record holds it. */
  readonly text: string;
  readonly bytes: number;
  readonly events: number;
  /** The visitor of the first event (of every event, when `perEvent` is undefined). */
  readonly visitor: string;
  /** The body's writeKey, else the first event's; non-empty, as the general path reads them. */
  readonly writeKey: string | undefined;
  /**
   * Undefined when the batch is logged as its body, in one record; else each event, to be
   * logged in a record of its own (see acceptEvents).
   */
  readonly perEvent: readonly CompactEvent[] | undefined;
  /** The body's sentAt, when a string, for the per-event records. */
  readonly sentAt: string | null;
}

/** One event of a batch logged event by event. */
export interface CompactEvent {
  /** The event's JSON as JSON.stringify writes it once its `context.ip` is removed. */
  readonly json: string;
  readonly visitor: string;
  /** Its `context.ip`, or ''. */
  readonly ip: string;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_1 = 0x31;
const DIGIT_9 = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const LOWER_T = 0x74;
const LOWER_F = 0x66;
const LOWER_N = 0x6e;

const FAIL = -1;
const NONE = -1;
const EMPTY = Buffer.alloc(0);

/** What a known field held: absent, null, a string, an object, or anything else. */
const ABSENT = 0;
const NULL = 1;
const STRING = 2;
const OBJECT = 3;
const OTHER = 4;

/** The event fields validation reads (the Segment schema's, see schema.ts). */
const FIELDS = [
  'messageId',
  'anonymousId',
  'userId',
  'timestamp',
  'originalTimestamp',
  'sentAt',
  'receivedAt',
  'context',
  'integrations',
  'writeKey',
  'type',
  'event',
  'name',
  'category',
  'properties',
  'traits',
  'previousId',
  'groupId',
] as const;
type FieldName = (typeof FIELDS)[number];
const F = Object.fromEntries(FIELDS.map((name, i) => [name, i])) as Record<FieldName, number>;

/** The event's time fields, each absent, null or a short string. */
const TIME_FIELDS = [F.timestamp, F.originalTimestamp, F.sentAt, F.receivedAt] as const;

/** A word's bytes (the words here are ASCII). */
function ascii(word: string): Uint8Array {
  return Uint8Array.from(word, (c) => c.charCodeAt(0));
}

const FIELD_BYTES = FIELDS.map(ascii);
const TYPE_BYTES = SEGMENT_TYPES.map(ascii);
const TRUE = ascii('true');
const FALSE = ascii('false');
const NULL_WORD = ascii('null');
const IP = ascii('ip');
const BATCH = ascii('batch');
const SENT_AT = ascii('sentAt');
const WRITE_KEY = ascii('writeKey');
const CONTEXT = ascii('context');

/**
 * Known fields by a key's length and first and last bytes (5 bits of each): the one field a
 * key can be, checked byte for byte after. Built once; two fields in one slot would be a
 * mistake here, so building refuses it.
 */
const FIELD_SLOTS = new Int8Array(1 << 15).fill(FAIL);
function fieldSlot(length: number, first: number, last: number): number {
  return ((first & 31) << 10) | ((last & 31) << 5) | (length & 31);
}
FIELD_BYTES.forEach((name, field) => {
  const slot = fieldSlot(name.length, name[0]!, name[name.length - 1]!);
  if (FIELD_SLOTS[slot] !== FAIL) throw new Error(`field ${FIELDS[field]} shares a slot`);
  FIELD_SLOTS[slot] = field;
});

/** Whether bytes[at, at + word.length) is `word`. */
function matches(bytes: Uint8Array, at: number, word: Uint8Array): boolean {
  for (let i = 0; i < word.length; i++) {
    if (bytes[at + i] !== word[i]) return false;
  }
  return true;
}

/**
 * Known fields of one object, reused: what each held, and where a string's bytes are in the
 * body (cut out only when needed).
 */
class KnownFields {
  readonly kinds: Uint8Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;

  constructor(count: number) {
    this.kinds = new Uint8Array(count);
    this.starts = new Int32Array(count);
    this.ends = new Int32Array(count);
  }

  reset(): void {
    this.kinds.fill(ABSENT);
  }

  /** A string field's length in bytes (never fewer than its UTF-16 units). */
  length(field: number): number {
    return (this.ends[field] ?? 0) - (this.starts[field] ?? 0);
  }
}

/** One event's known fields (FIELDS), and where its `context.ip` member is, if it has one. */
class EventFields extends KnownFields {
  /** The opening quote of the `ip` key, or NONE. */
  ipKey = NONE;
  /** The IP string's characters, between its quotes. */
  ipStart = 0;
  ipEnd = 0;

  constructor() {
    super(FIELDS.length);
  }

  override reset(): void {
    super.reset();
    this.ipKey = NONE;
  }
}

/** The body's own known fields. */
const BODY_SENT_AT = 0;
const BODY_WRITE_KEY = 1;

interface Events {
  count: number;
  visitor: string;
  firstWriteKey: string | undefined;
  /** Whether every event is the first one's visitor's. */
  oneVisitor: boolean;
  /** Whether any event has a `context.ip`. */
  anyIp: boolean;
}

/** Where each event of the batch is, for the per-event records. */
interface EventSpans {
  /** Its opening and (one past) closing brace. */
  readonly start: Int32Array;
  readonly end: Int32Array;
  /** Its fields' `ipKey`, `ipStart` and `ipEnd` (EventFields). */
  readonly ipKey: Int32Array;
  readonly ipStart: Int32Array;
  readonly ipEnd: Int32Array;
  readonly visitor: string[];
}

/**
 * Each event's time (timestamp, else originalTimestamp) and own sentAt as read (ms, NaN when
 * unreadable), for the time checks once the whole body is read.
 */
interface EventTimes {
  readonly has: Uint8Array;
  readonly time: Float64Array;
  readonly hasSentAt: Uint8Array;
  readonly sentAt: Float64Array;
}

/**
 * The reader over the scanner's copy of one body at a time: reading runs synchronously, so one
 * instance, its fields and its tables serve every request.
 */
class BatchReader {
  private readonly scanner: JsonScanner;
  private readonly bytes: Uint8Array;
  private readonly quotes: Int32Array;
  /** The next unread entry of `quotes`: the opening quote of the next string. */
  private nextQuote = 0;
  private quoteCount = 0;
  private raw: Buffer = EMPTY;
  /** The body as text. */
  private text = '';
  private ascii = false;
  private readonly fields = new EventFields();
  private readonly bodyFields = new KnownFields(2);
  private readonly times: EventTimes = {
    has: new Uint8Array(LIMITS.batchEvents),
    time: new Float64Array(LIMITS.batchEvents),
    hasSentAt: new Uint8Array(LIMITS.batchEvents),
    sentAt: new Float64Array(LIMITS.batchEvents),
  };
  private readonly spans: EventSpans = {
    start: new Int32Array(LIMITS.batchEvents),
    end: new Int32Array(LIMITS.batchEvents),
    ipKey: new Int32Array(LIMITS.batchEvents),
    ipStart: new Int32Array(LIMITS.batchEvents),
    ipEnd: new Int32Array(LIMITS.batchEvents),
    visitor: [],
  };
  /** Whether every number read so far is as JSON.stringify writes it (see `number`). */
  private canonicalNumbers = true;
  /**
   * The containers skipValue is inside, innermost last: 1 an object (a key comes after a
   * comma), 0 an array. Grows to the deepest nesting seen, which the body's size bounds.
   */
  private readonly openContainers: number[] = [];

  constructor(scanner: JsonScanner) {
    this.scanner = scanner;
    this.bytes = scanner.bytes;
    this.quotes = scanner.quotes;
  }

  read(raw: Buffer, receivedAt: number): CompactBatch | undefined {
    if (!this.scanner.scan(raw)) return undefined;
    this.raw = raw;
    this.ascii = this.scanner.ascii;
    // The same string either way; latin1 copies bytes without decoding, for ASCII text.
    this.text = raw.toString(this.ascii ? 'latin1' : 'utf8');
    this.quoteCount = this.scanner.quoteCount;
    this.nextQuote = 0;
    this.canonicalNumbers = true;
    const batch = this.readBody(raw.length, receivedAt);
    // Nothing of this body stays held here until the next one.
    this.spans.visitor.length = 0;
    this.raw = EMPTY;
    this.text = '';
    return batch;
  }

  /** `{ "batch": [events], "sentAt"?, "writeKey"?, ... }` with nothing after it. */
  private readBody(length: number, receivedAt: number): CompactBatch | undefined {
    const { bytes, bodyFields } = this;
    if (bytes[0] !== OPEN_BRACE) return undefined;
    let p = 1;
    let events: Events | undefined;
    bodyFields.reset();
    if (bytes[p] === CLOSE_BRACE) return undefined;
    for (;;) {
      const keyEnd = this.stringEnd(p);
      if (keyEnd === FAIL) return undefined;
      const keyStart = p + 1;
      const keyLength = keyEnd - keyStart;
      p = keyEnd + 1;
      if (bytes[p] !== COLON) return undefined;
      p++;
      if (keyLength === BATCH.length && matches(bytes, keyStart, BATCH)) {
        if (events !== undefined || bytes[p] !== OPEN_BRACKET) return undefined;
        events = {
          count: 0,
          visitor: '',
          firstWriteKey: undefined,
          oneVisitor: true,
          anyIp: false,
        };
        p = this.readEvents(p, events);
      } else if (keyLength === SENT_AT.length && matches(bytes, keyStart, SENT_AT)) {
        p = this.readKnown(p, bodyFields, BODY_SENT_AT, false);
      } else if (keyLength === WRITE_KEY.length && matches(bytes, keyStart, WRITE_KEY)) {
        p = this.readKnown(p, bodyFields, BODY_WRITE_KEY, false);
      } else if (keyLength === CONTEXT.length && matches(bytes, keyStart, CONTEXT)) {
        // A batch context is merged under each event's: the general path's work.
        return undefined;
      } else {
        p = this.skipValue(p);
      }
      if (p === FAIL) return undefined;
      const next = bytes[p];
      if (next === CLOSE_BRACE) break;
      if (next !== COMMA) return undefined;
      p++;
    }
    if (p + 1 !== length || events === undefined) return undefined;
    // As acceptEvents decides: one record for one visitor's batch without IPs, within the
    // size of one event; else a record for each event, whose text must then be JSON.stringify's.
    const oneRecord = events.oneVisitor && !events.anyIp && length <= LIMITS.eventBytes;
    if (!oneRecord && !this.canonicalNumbers) return undefined;
    // A sentAt that is neither a string nor null: the general path refuses it.
    const sentAtKind = bodyFields.kinds[BODY_SENT_AT];
    if (sentAtKind !== ABSENT && sentAtKind !== NULL && sentAtKind !== STRING) return undefined;
    // The times last: the batch's sentAt, which the events' default to, may come after them.
    const batchHasSentAt = sentAtKind === STRING;
    const batchSentAt = batchHasSentAt
      ? parseSentAt(this.stringOf(bodyFields, BODY_SENT_AT))
      : Number.NaN;
    const { times } = this;
    for (let i = 0; i < events.count; i++) {
      const hasTime = times.has[i] === 1;
      const ownSentAt = times.hasSentAt[i] === 1;
      const accepted = eventTimeAccepted(
        hasTime ? times.time[i]! : receivedAt,
        hasTime,
        ownSentAt ? times.sentAt[i]! : batchSentAt,
        ownSentAt || batchHasSentAt,
        receivedAt,
      );
      if (!accepted) return undefined;
    }
    const bodyKey = this.nonEmptyString(bodyFields, BODY_WRITE_KEY);
    return {
      text: this.text,
      bytes: length,
      events: events.count,
      visitor: events.visitor,
      writeKey: bodyKey ?? events.firstWriteKey,
      perEvent: oneRecord ? undefined : this.eachEvent(events.count),
      sentAt: batchHasSentAt ? this.stringOf(bodyFields, BODY_SENT_AT) : null,
    };
  }

  /** The events read, each as its own record needs it (see CompactEvent). */
  private eachEvent(count: number): CompactEvent[] {
    const { bytes, spans } = this;
    const out: CompactEvent[] = [];
    for (let i = 0; i < count; i++) {
      const start = spans.start[i]!;
      const end = spans.end[i]!;
      const key = spans.ipKey[i]!;
      if (key === NONE) {
        out.push({ json: this.slice(start, end), visitor: spans.visitor[i]!, ip: '' });
        continue;
      }
      // The member `"ip":"..."` out, and the comma that joined it to its neighbour, if any.
      const after = spans.ipEnd[i]! + 1;
      let cutFrom = key;
      let cutTo = after;
      if (bytes[key - 1] === COMMA) cutFrom = key - 1;
      else if (bytes[after] === COMMA) cutTo = after + 1;
      out.push({
        json: this.slice(start, cutFrom) + this.slice(cutTo, end),
        visitor: spans.visitor[i]!,
        ip: this.slice(spans.ipStart[i]!, spans.ipEnd[i]!),
      });
    }
    return out;
  }

  /**
   * The batch array at `p`: every element an event that passes every check but the time's
   * (see `times`), noted in `spans` and `out`. The position after the array, or FAIL.
   */
  private readEvents(p: number, out: Events): number {
    const { bytes, fields, spans } = this;
    p++;
    if (bytes[p] === CLOSE_BRACKET) return FAIL;
    for (;;) {
      if (out.count === LIMITS.batchEvents) return FAIL;
      const start = p;
      p = this.readEvent(p);
      if (p === FAIL) return FAIL;
      const visitor = this.checkEvent();
      if (visitor === undefined) return FAIL;
      const i = out.count;
      spans.start[i] = start;
      spans.end[i] = p;
      spans.ipKey[i] = fields.ipKey;
      spans.ipStart[i] = fields.ipStart;
      spans.ipEnd[i] = fields.ipEnd;
      spans.visitor[i] = visitor;
      if (fields.ipKey !== NONE) out.anyIp = true;
      if (out.count === 0) {
        out.visitor = visitor;
        out.firstWriteKey = this.nonEmptyString(fields, F.writeKey);
      } else if (visitor !== out.visitor) {
        out.oneVisitor = false;
      }
      this.readTimes(out.count);
      out.count++;
      const next = bytes[p];
      if (next === CLOSE_BRACKET) return p + 1;
      if (next !== COMMA) return FAIL;
      p++;
    }
  }

  /** One event object at `p` into `fields`; returns the position after it, or FAIL. */
  private readEvent(p: number): number {
    const { bytes, fields } = this;
    fields.reset();
    if (bytes[p] !== OPEN_BRACE) return FAIL;
    p++;
    if (bytes[p] === CLOSE_BRACE) return p + 1;
    for (;;) {
      const keyEnd = this.stringEnd(p);
      if (keyEnd === FAIL) return FAIL;
      const field = fieldAt(bytes, p + 1, keyEnd);
      p = keyEnd + 1;
      if (bytes[p] !== COLON) return FAIL;
      p++;
      if (field === FAIL) p = this.skipValue(p);
      else p = this.readKnown(p, fields, field, field === F.context);
      if (p === FAIL) return FAIL;
      const next = bytes[p];
      if (next === CLOSE_BRACE) return p + 1;
      if (next !== COMMA) return FAIL;
      p++;
    }
  }

  /**
   * The event's times into slot `i` of `times`, as resolveEventTime reads them: timestamp ??
   * originalTimestamp, and its own sentAt (the batch's otherwise). After checkEvent, each of
   * these fields is absent, null or a string.
   */
  private readTimes(i: number): void {
    const { fields, times } = this;
    const { kinds } = fields;
    const field = kinds[F.timestamp] === STRING ? F.timestamp : F.originalTimestamp;
    const has = kinds[field] === STRING;
    times.has[i] = has ? 1 : 0;
    times.time[i] = has ? this.timeOf(field) : Number.NaN;
    const hasSentAt = kinds[F.sentAt] === STRING;
    times.hasSentAt[i] = hasSentAt ? 1 : 0;
    times.sentAt[i] = hasSentAt ? parseSentAt(this.stringOf(fields, F.sentAt)) : Number.NaN;
  }

  /** An event's time field as ms (NaN when unreadable), without cutting it out of ASCII text. */
  private timeOf(field: number): number {
    const { fields } = this;
    if (this.ascii) return parseTimeIn(this.text, fields.starts[field]!, fields.ends[field]!);
    const text = this.stringOf(fields, field);
    return parseTimeIn(text, 0, text.length);
  }

  /** A string field's value. */
  private stringOf(into: KnownFields, field: number): string {
    return this.slice(into.starts[field]!, into.ends[field]!);
  }

  /** A field's value if it is a non-empty string (as the general path reads write keys). */
  private nonEmptyString(into: KnownFields, field: number): string | undefined {
    return into.kinds[field] === STRING && into.length(field) > 0
      ? this.stringOf(into, field)
      : undefined;
  }

  /** The body's text from byte `start` to byte `end`, both at an ASCII byte. */
  private slice(start: number, end: number): string {
    // Byte offsets are string indexes only in ASCII text.
    return this.ascii ? this.text.slice(start, end) : this.raw.toString('utf8', start, end);
  }

  /**
   * The value at `p` of a known field into `into`: what it held, and a string's position; an
   * object is read for its `ip` key when `isContext`, else skipped. The position after it, or
   * FAIL, also for a field read twice (JSON.parse keeps the last one; the general path judges
   * that).
   */
  private readKnown(p: number, into: KnownFields, field: number, isContext: boolean): number {
    const { kinds } = into;
    if (kinds[field] !== ABSENT) return FAIL;
    const c = this.bytes[p];
    if (c === QUOTE) {
      const end = this.stringEnd(p);
      if (end === FAIL) return FAIL;
      kinds[field] = STRING;
      into.starts[field] = p + 1;
      into.ends[field] = end;
      return end + 1;
    }
    if (c === LOWER_N) {
      kinds[field] = NULL;
      return this.literal(p, NULL_WORD);
    }
    kinds[field] = c === OPEN_BRACE ? OBJECT : OTHER;
    return c === OPEN_BRACE && isContext ? this.readContext(p) : this.skipValue(p);
  }

  /** The context object at `p`, noting where its `ip` member is. */
  private readContext(p: number): number {
    const { bytes } = this;
    p++;
    if (bytes[p] === CLOSE_BRACE) return p + 1;
    for (;;) {
      const keyEnd = this.stringEnd(p);
      if (keyEnd === FAIL) return FAIL;
      const ip = keyEnd - p === 3 && matches(bytes, p + 1, IP);
      const key = p;
      p = keyEnd + 1;
      if (bytes[p] !== COLON) return FAIL;
      p++;
      if (ip) {
        // A string, once: what the record keeps out (a repeat, or another kind of value, is
        // the general path's to judge).
        const { fields } = this;
        if (fields.ipKey !== NONE || bytes[p] !== QUOTE) return FAIL;
        fields.ipKey = key;
        fields.ipStart = p + 1;
      }
      p = this.skipValue(p);
      if (p === FAIL) return FAIL;
      if (ip) this.fields.ipEnd = p - 1;
      const next = bytes[p];
      if (next === CLOSE_BRACE) return p + 1;
      if (next !== COMMA) return FAIL;
      p++;
    }
  }

  /**
   * The checks of the event schema (schema.ts) and identity (normalize.ts) on `fields`; the
   * visitor, or undefined if any fails or the event is not one to log in its batch.
   */
  private checkEvent(): string | undefined {
    const { fields } = this;
    const { kinds } = fields;
    if (kinds[F.type] !== STRING) return undefined;
    const type = typeAt(this.bytes, fields.starts[F.type]!, fields.ends[F.type]!);
    if (type === undefined) return undefined;
    if (!optionalString(fields, F.messageId, 0, LIMITS.idChars)) return undefined;
    if (!nullableString(fields, F.anonymousId, 1, LIMITS.idChars)) return undefined;
    if (!nullableString(fields, F.userId, 1, LIMITS.idChars)) return undefined;
    for (const time of TIME_FIELDS) {
      if (!nullableString(fields, time, 1, FIELD_LIMITS.timeChars)) return undefined;
    }
    if (!optionalObject(fields, F.context) || !optionalObject(fields, F.integrations)) {
      return undefined;
    }
    if (!optionalString(fields, F.writeKey, 0, Number.POSITIVE_INFINITY)) return undefined;
    if (!typeFieldsValid(fields, type)) return undefined;

    if (kinds[F.anonymousId] === STRING) return this.stringOf(fields, F.anonymousId);
    if (kinds[F.userId] === STRING) return `user:${this.stringOf(fields, F.userId)}`;
    return undefined;
  }

  // ---------------------------------------------------------------------------- JSON grammar

  /**
   * The closing quote of the string opening at `p`, or FAIL. Strings are read in order, so the
   * next unread quote is the one at `p` when a string opens there; the one after it closes it
   * (there is no escape to skip).
   */
  private stringEnd(p: number): number {
    const q = this.nextQuote;
    if (q + 1 >= this.quoteCount || this.quotes[q] !== p) return FAIL;
    this.nextQuote = q + 2;
    return this.quotes[q + 1]!;
  }

  private literal(p: number, word: Uint8Array): number {
    return matches(this.bytes, p, word) ? p + word.length : FAIL;
  }

  /**
   * A JSON number at `p` (RFC 8259's grammar); the position after it, or FAIL. Notes one that
   * JSON.stringify would write otherwise (`canonicalNumbers`): an integer of up to 15 digits
   * other than -0 is written as read; anything else is compared with String(Number(text)).
   */
  private number(p: number): number {
    const { bytes } = this;
    const start = p;
    let c = bytes[p];
    if (c === MINUS) c = bytes[++p];
    const first = p;
    if (c === DIGIT_0) {
      c = bytes[++p];
    } else if (c !== undefined && c >= DIGIT_1 && c <= DIGIT_9) {
      p = digits(bytes, p);
      c = bytes[p];
    } else {
      return FAIL;
    }
    let plain = p - first <= 15;
    if (c === DOT) {
      if (!isDigit(bytes[p + 1])) return FAIL;
      p = digits(bytes, p + 1);
      c = bytes[p];
      plain = false;
    }
    if (c === LOWER_E || c === UPPER_E) {
      c = bytes[++p];
      if (c === PLUS || c === MINUS) c = bytes[++p];
      if (!isDigit(c)) return FAIL;
      p = digits(bytes, p);
      plain = false;
    }
    if (!plain || (first > start && bytes[first] === DIGIT_0)) {
      const text = this.slice(start, p);
      if (String(Number(text)) !== text) this.canonicalNumbers = false;
    }
    return p;
  }

  /**
   * Any JSON value at `p`, checked and skipped; the position after it, or FAIL. Iterative (a
   * stack of open containers), so no nesting depth can overflow the call stack.
   */
  private skipValue(p: number): number {
    const { bytes, openContainers: open } = this;
    let depth = 0;
    for (;;) {
      // A value starts at p.
      const c = bytes[p];
      if (c === QUOTE) {
        const end = this.stringEnd(p);
        if (end === FAIL) return FAIL;
        p = end + 1;
      } else if (c === OPEN_BRACE) {
        p++;
        if (bytes[p] === CLOSE_BRACE) {
          p++;
        } else {
          open[depth++] = 1;
          p = this.memberValue(p);
          if (p === FAIL) return FAIL;
          continue;
        }
      } else if (c === OPEN_BRACKET) {
        p++;
        if (bytes[p] === CLOSE_BRACKET) {
          p++;
        } else {
          open[depth++] = 0;
          continue;
        }
      } else if (c === LOWER_T) {
        p = this.literal(p, TRUE);
      } else if (c === LOWER_F) {
        p = this.literal(p, FALSE);
      } else if (c === LOWER_N) {
        p = this.literal(p, NULL_WORD);
      } else {
        p = this.number(p);
      }
      if (p === FAIL) return FAIL;
      // After a value: commas and closing brackets until the next value, or the end.
      for (;;) {
        if (depth === 0) return p;
        const next = bytes[p];
        const inObject = open[depth - 1] === 1;
        if (next === COMMA) {
          p++;
          if (inObject) p = this.memberValue(p);
          if (p === FAIL) return FAIL;
          break;
        }
        if (next !== (inObject ? CLOSE_BRACE : CLOSE_BRACKET)) return FAIL;
        depth--;
        p++;
      }
    }
  }

  /** `"key":` at `p`; the position of the value after it, or FAIL. */
  private memberValue(p: number): number {
    const keyEnd = this.stringEnd(p);
    if (keyEnd === FAIL) return FAIL;
    p = keyEnd + 1;
    if (this.bytes[p] !== COLON) return FAIL;
    return p + 1;
  }
}

const reader = ((scanner) => (scanner === undefined ? undefined : new BatchReader(scanner)))(
  createJsonScanner(),
);

/**
 * The batch, or undefined when the general path must read it (see the file comment).
 * `receivedAt` is the time the events' times are checked against, as acceptEvents would.
 */
export function readCompactBatch(
  raw: Buffer,
  contentEncoding: string | undefined,
  receivedAt: number,
): CompactBatch | undefined {
  if (contentEncoding !== undefined || raw.length === 0 || raw.length > LIMITS.batchBytes) {
    return undefined;
  }
  return reader?.read(raw, receivedAt);
}

if (LIMITS.batchBytes > SCAN_MAX_BYTES) {
  throw new Error('the JSON scanner must take a body of LIMITS.batchBytes');
}

/** The index of the known field named by bytes[start, end), or FAIL. */
function fieldAt(bytes: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (length === 0 || length > 31) return FAIL;
  const field = FIELD_SLOTS[fieldSlot(length, bytes[start]!, bytes[end - 1]!)]!;
  if (field === FAIL) return FAIL;
  const name = FIELD_BYTES[field]!;
  return name.length === length && matches(bytes, start, name) ? field : FAIL;
}

/** The event type spelled by bytes[start, end), without cutting it out; undefined for no type. */
function typeAt(bytes: Uint8Array, start: number, end: number): SegmentType | undefined {
  for (let i = 0; i < TYPE_BYTES.length; i++) {
    const type = TYPE_BYTES[i]!;
    if (type.length === end - start && matches(bytes, start, type)) return SEGMENT_TYPES[i];
  }
  return undefined;
}

function typeFieldsValid(fields: KnownFields, type: SegmentType): boolean {
  switch (type) {
    case 'track':
      return (
        requiredString(fields, F.event, 1, FIELD_LIMITS.nameChars) &&
        optionalObject(fields, F.properties)
      );
    case 'page':
      return (
        nullableString(fields, F.name, 0, FIELD_LIMITS.nameChars) &&
        nullableString(fields, F.category, 0, FIELD_LIMITS.nameChars) &&
        optionalObject(fields, F.properties)
      );
    case 'screen':
      return (
        nullableString(fields, F.name, 0, FIELD_LIMITS.nameChars) &&
        optionalObject(fields, F.properties)
      );
    case 'identify':
      return optionalObject(fields, F.traits);
    case 'alias':
      return (
        requiredString(fields, F.previousId, 1, LIMITS.idChars) &&
        requiredString(fields, F.userId, 1, LIMITS.idChars)
      );
    case 'group':
      return (
        requiredString(fields, F.groupId, 1, LIMITS.idChars) && optionalObject(fields, F.traits)
      );
  }
}

/**
 * A string of `min` to `max` characters, checked on its bytes: `min` is 0 or 1 here, which
 * bytes and characters agree on, and a string within `max` bytes is within `max` characters.
 */
function requiredString(fields: KnownFields, field: number, min: number, max: number): boolean {
  if (fields.kinds[field] !== STRING) return false;
  const length = fields.length(field);
  return length >= min && length <= max;
}

function optionalString(fields: KnownFields, field: number, min: number, max: number): boolean {
  return fields.kinds[field] === ABSENT || requiredString(fields, field, min, max);
}

function nullableString(fields: KnownFields, field: number, min: number, max: number): boolean {
  return fields.kinds[field] === NULL || optionalString(fields, field, min, max);
}

function optionalObject(fields: KnownFields, field: number): boolean {
  const kind = fields.kinds[field];
  return kind === ABSENT || kind === OBJECT;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= DIGIT_0 && c <= DIGIT_9;
}

function digits(bytes: Uint8Array, p: number): number {
  while (isDigit(bytes[p])) p++;
  return p;
}
