import {
  FIELD_LIMITS,
  LIMITS,
  SEGMENT_TYPES,
  eventTimeAccepted,
  parseSentAt,
  parseTimeIn,
  type SegmentType,
} from '../../ingest/index.js';

/**
 * A browser's batch read without JSON.parse.
 *
 * A tracker's batch (one visitor's events, no IP, no batch context, a small body) is logged as
 * its body, in one record (acceptEvents); the collector only has to know that every event of it
 * is valid and whose it is. Building the whole object tree for that was the largest single
 * cost of such a request: JSON.parse of a tracker's 10 KB batch took about a third of the
 * collector's CPU time for it (see the collector benchmark's floor). This reader checks the same JSON grammar without building anything, reads only the fields
 * validation needs, and applies the same checks as the event schema, identity and time steps.
 *
 * It answers only for bodies it is sure of and leaves everything else to the general path
 * (undefined), which then parses, validates and answers as always:
 * - bytes below 0x20 or a backslash anywhere, or a space between tokens: undefined. So no
 *   string needs decoding, no raw control character can hide in one, and the reader never
 *   skips whitespace: trackers send JSON.stringify's compact form; anything else (pretty-
 *   printed JSON) takes the general path;
 * - a batch context, an event with `context.ip`, a number where an id may be one, a repeated
 *   field: undefined;
 * - any event that a check would refuse: undefined (the general path names the refusal).
 * So whatever it accepts, the general path accepts too, as one record of the same visitor: a
 * differential test holds the two to that on generated and mutated bodies.
 */
export interface BrowserBatch {
  /** The body as text, as the record holds it. */
  readonly text: string;
  readonly bytes: number;
  readonly events: number;
  /** The visitor every event belongs to (anonymousId, else `user:<userId>`). */
  readonly visitor: string;
  /** The body's writeKey, else the first event's; non-empty, as the general path reads them. */
  readonly writeKey: string | undefined;
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
const BACKSLASH = 0x5c;

const FAIL = -1;

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

/** Field indexes by name length, for the lookup of a key. */
const BY_LENGTH: number[][] = [];
for (let i = 0; i < FIELDS.length; i++) {
  const length = FIELDS[i]!.length;
  (BY_LENGTH[length] ??= []).push(i);
}

/**
 * Known fields of one object, reused: what each held, and where a string's characters are in
 * the body (cut out only when needed).
 */
class KnownFields {
  readonly kinds: Uint8Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  body = '';

  constructor(count: number) {
    this.kinds = new Uint8Array(count);
    this.starts = new Int32Array(count);
    this.ends = new Int32Array(count);
  }

  reset(body: string): void {
    this.kinds.fill(ABSENT);
    this.body = body;
  }

  /** A string field's length in UTF-16 units. */
  length(field: number): number {
    return (this.ends[field] ?? 0) - (this.starts[field] ?? 0);
  }

  text(field: number): string {
    return this.body.slice(this.starts[field], this.ends[field]);
  }

  /** The field as the general path's event object would hold it: undefined, null or a string. */
  value(field: number): string | null | undefined {
    const kind = this.kinds[field];
    return kind === STRING ? this.text(field) : kind === NULL ? null : undefined;
  }
}

/** One event's known fields (FIELDS), and whether its context has an `ip` key. */
class EventFields extends KnownFields {
  contextIp = false;

  constructor() {
    super(FIELDS.length);
  }

  override reset(body: string): void {
    super.reset(body);
    this.contextIp = false;
  }
}

const fields = new EventFields();

/** The body's own known fields. */
const BODY_SENT_AT = 0;
const BODY_WRITE_KEY = 1;
const bodyFields = new KnownFields(2);

/**
 * The batch, or undefined when the general path must read it (see the file comment).
 * `receivedAt` is the time the events' times are checked against, as acceptEvents would.
 */
export function readBrowserBatch(
  raw: Buffer,
  contentEncoding: string | undefined,
  receivedAt: number,
): BrowserBatch | undefined {
  if (contentEncoding !== undefined || raw.length === 0 || raw.length > LIMITS.eventBytes) {
    return undefined;
  }
  if (!plainText(raw)) return undefined;
  const text = raw.toString('utf8');
  return readBody(text, raw.length, receivedAt);
}

/** No byte below 0x20 and no backslash (which rules out gzip's magic bytes too). */
function plainText(raw: Buffer): boolean {
  const length = raw.length;
  let i = 0;
  // Four bytes at a time, from an aligned offset: a byte b < 0x20 sets the high bit of
  // (b - 0x20) & ~b, and a backslash is a zero byte of x ^ 0x5c5c5c5c.
  while (i < length && ((raw.byteOffset + i) & 3) !== 0) {
    if (!plainByte(raw[i]!)) return false;
    i++;
  }
  const words = new Int32Array(raw.buffer, raw.byteOffset + i, (length - i) >> 2);
  for (let w = 0; w < words.length; w++) {
    const x = words[w]!;
    const y = x ^ 0x5c5c5c5c;
    if ((((x - 0x20202020) & ~x) | ((y - 0x01010101) & ~y)) & 0x80808080) return false;
  }
  for (i += words.length * 4; i < length; i++) {
    if (!plainByte(raw[i]!)) return false;
  }
  return true;
}

function plainByte(byte: number): boolean {
  return byte >= 0x20 && byte !== BACKSLASH;
}

/** `{ "batch": [events], "sentAt"?, "writeKey"?, ... }` with nothing after it. */
function readBody(s: string, bytes: number, receivedAt: number): BrowserBatch | undefined {
  if (s.charCodeAt(0) !== OPEN_BRACE) return undefined;
  let p = 1;
  let events: Events | undefined;
  bodyFields.reset(s);
  if (s.charCodeAt(p) === CLOSE_BRACE) return undefined;
  for (;;) {
    const keyEnd = stringEnd(s, p);
    if (keyEnd === FAIL) return undefined;
    const keyStart = p + 1;
    const keyLength = keyEnd - keyStart;
    p = keyEnd + 1;
    if (s.charCodeAt(p) !== COLON) return undefined;
    p++;
    const c = s.charCodeAt(p);
    if (keyLength === 5 && s.startsWith('batch', keyStart)) {
      if (events !== undefined || c !== OPEN_BRACKET) return undefined;
      events = { count: 0, visitor: '', firstWriteKey: undefined };
      p = readEvents(s, p, events);
    } else if (keyLength === 6 && s.startsWith('sentAt', keyStart)) {
      p = readKnown(s, p, bodyFields, BODY_SENT_AT);
    } else if (keyLength === 8 && s.startsWith('writeKey', keyStart)) {
      p = readKnown(s, p, bodyFields, BODY_WRITE_KEY);
    } else if (keyLength === 7 && s.startsWith('context', keyStart)) {
      // A batch context is merged under each event's: the general path's work.
      return undefined;
    } else {
      p = skipValue(s, p);
    }
    if (p === FAIL) return undefined;
    const next = s.charCodeAt(p);
    if (next === CLOSE_BRACE) break;
    if (next !== COMMA) return undefined;
    p++;
  }
  if (p + 1 !== s.length || events === undefined) return undefined;
  // A sentAt that is neither a string nor null: the general path refuses it.
  const sentAtKind = bodyFields.kinds[BODY_SENT_AT];
  if (sentAtKind !== ABSENT && sentAtKind !== NULL && sentAtKind !== STRING) return undefined;
  // The times last: the batch's sentAt, which the events' default to, may come after them.
  const batchHasSentAt = sentAtKind === STRING;
  const batchSentAt = batchHasSentAt ? parseSentAt(bodyFields.text(BODY_SENT_AT)) : Number.NaN;
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
  const bodyKey =
    bodyFields.kinds[BODY_WRITE_KEY] === STRING && bodyFields.length(BODY_WRITE_KEY) > 0
      ? bodyFields.text(BODY_WRITE_KEY)
      : undefined;
  return {
    text: s,
    bytes,
    events: events.count,
    visitor: events.visitor,
    writeKey: bodyKey ?? events.firstWriteKey,
  };
}

interface Events {
  count: number;
  visitor: string;
  firstWriteKey: string | undefined;
}

/**
 * Each event's time (timestamp, else originalTimestamp) and own sentAt as read (ms, NaN when
 * unreadable), for the time checks once the whole body is read. Reused: reading runs
 * synchronously.
 */
const times = {
  has: new Uint8Array(LIMITS.batchEvents),
  time: new Float64Array(LIMITS.batchEvents),
  hasSentAt: new Uint8Array(LIMITS.batchEvents),
  sentAt: new Float64Array(LIMITS.batchEvents),
};

/**
 * The batch array at `p`: every element an event of one visitor that passes every check but
 * the time's (see `times`). The position after the array, or FAIL.
 */
function readEvents(s: string, p: number, out: Events): number {
  p++;
  if (s.charCodeAt(p) === CLOSE_BRACKET) return FAIL;
  for (;;) {
    p = readEvent(s, p);
    if (p === FAIL) return FAIL;
    const visitor = checkEvent();
    if (visitor === undefined) return FAIL;
    if (out.count === 0) {
      out.visitor = visitor;
      const key = fields.value(F.writeKey);
      out.firstWriteKey = typeof key === 'string' && key !== '' ? key : undefined;
    } else if (visitor !== out.visitor) {
      return FAIL;
    }
    if (out.count === LIMITS.batchEvents) return FAIL;
    readTimes(out.count);
    out.count++;
    const next = s.charCodeAt(p);
    if (next === CLOSE_BRACKET) return p + 1;
    if (next !== COMMA) return FAIL;
    p++;
  }
}

/** One event object at `p` into `fields`; returns the position after it, or FAIL. */
function readEvent(s: string, p: number): number {
  fields.reset(s);
  if (s.charCodeAt(p) !== OPEN_BRACE) return FAIL;
  p++;
  if (s.charCodeAt(p) === CLOSE_BRACE) return p + 1;
  for (;;) {
    const keyEnd = s.charCodeAt(p) === QUOTE ? s.indexOf('"', p + 1) : FAIL;
    if (keyEnd === FAIL) return FAIL;
    const field = fieldAt(s, p + 1, keyEnd);
    p = keyEnd + 1;
    if (s.charCodeAt(p) !== COLON) return FAIL;
    p++;
    if (field === FAIL) p = skipValue(s, p);
    else p = readKnown(s, p, fields, field, field === F.context ? readContext : skipValue);
    if (p === FAIL) return FAIL;
    const next = s.charCodeAt(p);
    if (next === CLOSE_BRACE) return p + 1;
    if (next !== COMMA) return FAIL;
    p++;
  }
}

/**
 * The event's times into slot `i` of `times`, as resolveEventTime reads them: timestamp ??
 * originalTimestamp, and its own sentAt (the batch's otherwise). After checkEvent, each of these
 * fields is absent, null or a string.
 */
function readTimes(i: number): void {
  const { kinds, starts, ends } = fields;
  const field = kinds[F.timestamp] === STRING ? F.timestamp : F.originalTimestamp;
  const has = kinds[field] === STRING;
  times.has[i] = has ? 1 : 0;
  times.time[i] = has ? parseTimeIn(fields.body, starts[field]!, ends[field]!) : Number.NaN;
  const hasSentAt = kinds[F.sentAt] === STRING;
  times.hasSentAt[i] = hasSentAt ? 1 : 0;
  times.sentAt[i] = hasSentAt ? parseSentAt(fields.text(F.sentAt)) : Number.NaN;
}

/**
 * The value at `p` of a known field into `into`: what it held, and a string's position; an
 * object goes through `readObject`. The position after it, or FAIL, also for a field read twice
 * (JSON.parse keeps the last one; the general path judges that).
 */
function readKnown(
  s: string,
  p: number,
  into: KnownFields,
  field: number,
  readObject: (s: string, p: number) => number = skipValue,
): number {
  const { kinds } = into;
  if (kinds[field] !== ABSENT) return FAIL;
  const c = s.charCodeAt(p);
  if (c === QUOTE) {
    const end = s.indexOf('"', p + 1);
    if (end === FAIL) return FAIL;
    kinds[field] = STRING;
    into.starts[field] = p + 1;
    into.ends[field] = end;
    return end + 1;
  }
  if (c === LOWER_N) {
    kinds[field] = NULL;
    return literal(s, p, 'null');
  }
  kinds[field] = c === OPEN_BRACE ? OBJECT : OTHER;
  return c === OPEN_BRACE ? readObject(s, p) : skipValue(s, p);
}

/** The context object at `p`, noting whether it has an `ip` key. */
function readContext(s: string, p: number): number {
  p++;
  if (s.charCodeAt(p) === CLOSE_BRACE) return p + 1;
  for (;;) {
    const keyEnd = s.charCodeAt(p) === QUOTE ? s.indexOf('"', p + 1) : FAIL;
    if (keyEnd === FAIL) return FAIL;
    if (keyEnd - p === 3 && s.startsWith('ip', p + 1)) fields.contextIp = true;
    p = keyEnd + 1;
    if (s.charCodeAt(p) !== COLON) return FAIL;
    p = skipValue(s, p + 1);
    if (p === FAIL) return FAIL;
    const next = s.charCodeAt(p);
    if (next === CLOSE_BRACE) return p + 1;
    if (next !== COMMA) return FAIL;
    p++;
  }
}

/** The index of the known field named by s[start, end), or FAIL. */
function fieldAt(s: string, start: number, end: number): number {
  const candidates = BY_LENGTH[end - start];
  if (candidates === undefined) return FAIL;
  for (const field of candidates) {
    if (s.startsWith(FIELDS[field]!, start)) return field;
  }
  return FAIL;
}

/**
 * The checks of the event schema (schema.ts) and identity (normalize.ts) on `fields`; the
 * visitor, or undefined if any fails or the event is not one to log in its batch. String
 * lengths are UTF-16 units, never fewer than the schema's characters: a string within these
 * bounds is within the schema's.
 */
function checkEvent(): string | undefined {
  const { kinds } = fields;
  if (fields.contextIp) return undefined;
  if (kinds[F.type] !== STRING) return undefined;
  const type = typeAt(fields.body, fields.starts[F.type]!, fields.ends[F.type]!);
  if (type === undefined) return undefined;
  if (!optionalString(F.messageId, 0, LIMITS.idChars)) return undefined;
  if (!nullableString(F.anonymousId, 1, LIMITS.idChars)) return undefined;
  if (!nullableString(F.userId, 1, LIMITS.idChars)) return undefined;
  for (const time of TIME_FIELDS) {
    if (!nullableString(time, 1, FIELD_LIMITS.timeChars)) return undefined;
  }
  if (!optionalObject(F.context) || !optionalObject(F.integrations)) return undefined;
  if (!optionalString(F.writeKey, 0, Number.POSITIVE_INFINITY)) return undefined;
  if (!typeFieldsValid(type)) return undefined;

  const anonymousId = kinds[F.anonymousId] === STRING ? fields.text(F.anonymousId) : null;
  const userId = kinds[F.userId] === STRING ? fields.text(F.userId) : null;
  if (anonymousId === null && userId === null) return undefined;
  return anonymousId ?? `user:${userId ?? ''}`;
}

/** The event type spelled by s[start, end), without cutting it out; undefined for no type. */
function typeAt(s: string, start: number, end: number): SegmentType | undefined {
  for (const type of SEGMENT_TYPES) {
    if (type.length === end - start && s.startsWith(type, start)) return type;
  }
  return undefined;
}

function typeFieldsValid(type: SegmentType): boolean {
  switch (type) {
    case 'track':
      return requiredString(F.event, 1, FIELD_LIMITS.nameChars) && optionalObject(F.properties);
    case 'page':
      return (
        nullableString(F.name, 0, FIELD_LIMITS.nameChars) &&
        nullableString(F.category, 0, FIELD_LIMITS.nameChars) &&
        optionalObject(F.properties)
      );
    case 'screen':
      return nullableString(F.name, 0, FIELD_LIMITS.nameChars) && optionalObject(F.properties);
    case 'identify':
      return optionalObject(F.traits);
    case 'alias':
      return (
        requiredString(F.previousId, 1, LIMITS.idChars) &&
        requiredString(F.userId, 1, LIMITS.idChars)
      );
    case 'group':
      return requiredString(F.groupId, 1, LIMITS.idChars) && optionalObject(F.traits);
  }
}

function requiredString(field: number, min: number, max: number): boolean {
  if (fields.kinds[field] !== STRING) return false;
  const length = fields.length(field);
  return length >= min && length <= max;
}

function optionalString(field: number, min: number, max: number): boolean {
  return fields.kinds[field] === ABSENT || requiredString(field, min, max);
}

function nullableString(field: number, min: number, max: number): boolean {
  return fields.kinds[field] === NULL || optionalString(field, min, max);
}

function optionalObject(field: number): boolean {
  const kind = fields.kinds[field];
  return kind === ABSENT || kind === OBJECT;
}

// ------------------------------------------------------------------------------ JSON grammar

/** The closing quote of the string opening at `p` (there is no escape to skip), or FAIL. */
function stringEnd(s: string, p: number): number {
  return s.charCodeAt(p) === QUOTE ? s.indexOf('"', p + 1) : FAIL;
}

function literal(s: string, p: number, word: string): number {
  return s.startsWith(word, p) ? p + word.length : FAIL;
}

/** A JSON number at `p` (RFC 8259's grammar); the position after it, or FAIL. */
function number(s: string, p: number): number {
  let c = s.charCodeAt(p);
  if (c === MINUS) c = s.charCodeAt(++p);
  if (c === DIGIT_0) {
    c = s.charCodeAt(++p);
  } else if (c >= DIGIT_1 && c <= DIGIT_9) {
    p = digits(s, p);
    c = s.charCodeAt(p);
  } else {
    return FAIL;
  }
  if (c === DOT) {
    if (!isDigit(s.charCodeAt(p + 1))) return FAIL;
    p = digits(s, p + 1);
    c = s.charCodeAt(p);
  }
  if (c === LOWER_E || c === UPPER_E) {
    c = s.charCodeAt(++p);
    if (c === PLUS || c === MINUS) c = s.charCodeAt(++p);
    if (!isDigit(c)) return FAIL;
    p = digits(s, p);
  }
  return p;
}

function isDigit(c: number): boolean {
  return c >= DIGIT_0 && c <= DIGIT_9;
}

function digits(s: string, p: number): number {
  while (isDigit(s.charCodeAt(p))) p++;
  return p;
}

/**
 * The containers skipValue is inside, innermost last: 1 an object (a key comes after a comma),
 * 0 an array. Reused (reading runs synchronously); grows to the deepest nesting seen, which the
 * body's size bounds.
 */
const openContainers: number[] = [];

/**
 * Any JSON value at `p`, checked and skipped; the position after it, or FAIL. Iterative (a
 * stack of open containers), so no nesting depth can overflow the call stack.
 */
function skipValue(s: string, p: number): number {
  const open = openContainers;
  let depth = 0;
  for (;;) {
    // A value starts at p.
    const c = s.charCodeAt(p);
    if (c === QUOTE) {
      const end = s.indexOf('"', p + 1);
      if (end === FAIL) return FAIL;
      p = end + 1;
    } else if (c === OPEN_BRACE) {
      p++;
      if (s.charCodeAt(p) === CLOSE_BRACE) {
        p++;
      } else {
        open[depth++] = 1;
        p = memberValue(s, p);
        if (p === FAIL) return FAIL;
        continue;
      }
    } else if (c === OPEN_BRACKET) {
      p++;
      if (s.charCodeAt(p) === CLOSE_BRACKET) {
        p++;
      } else {
        open[depth++] = 0;
        continue;
      }
    } else if (c === LOWER_T) {
      p = literal(s, p, 'true');
    } else if (c === LOWER_F) {
      p = literal(s, p, 'false');
    } else if (c === LOWER_N) {
      p = literal(s, p, 'null');
    } else {
      p = number(s, p);
    }
    if (p === FAIL) return FAIL;
    // After a value: commas and closing brackets until the next value, or the end.
    for (;;) {
      if (depth === 0) return p;
      const next = s.charCodeAt(p);
      const inObject = open[depth - 1] === 1;
      if (next === COMMA) {
        p++;
        if (inObject) p = memberValue(s, p);
        if (p === FAIL) return FAIL;
        break;
      }
      if (next !== (inObject ? CLOSE_BRACE : CLOSE_BRACKET)) return FAIL;
      depth--;
      p++;
    }
  }
}

/** `"key" :` at `p`; the position of the value after it, or FAIL. */
function memberValue(s: string, p: number): number {
  const keyEnd = s.charCodeAt(p) === QUOTE ? s.indexOf('"', p + 1) : FAIL;
  if (keyEnd === FAIL) return FAIL;
  p = keyEnd + 1;
  if (s.charCodeAt(p) !== COLON) return FAIL;
  return p + 1;
}
