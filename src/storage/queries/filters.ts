import { DEVICE_TYPES, ValidationError, type DeviceType } from '../../core/index.js';
import { sqlInt, sqlList, sqlString } from '../sql.js';

/** [from, to) in ms since the epoch, UTC. */
export interface TimeRange {
  readonly from: number;
  readonly to: number;
}

/**
 * The slice of traffic most dashboard queries take: one site, a time range, and optionally some
 * channels, countries and devices. An absent or empty list means "no filter on this dimension".
 */
export interface SegmentFilter extends TimeRange {
  readonly site: string;
  readonly channels?: readonly string[];
  readonly countries?: readonly string[];
  readonly devices?: readonly DeviceType[];
}

/** Longest string a filter takes, and most values in one list: bounds the query's size. */
export const MAX_FILTER_STRING = 20_000;
export const MAX_FILTER_VALUES = 100;

/** ClickHouse's default max_query_size is 256 KiB; hostile filters can need more. */
export const QUERY_SETTINGS = { max_query_size: String(4 * 1024 * 1024) } as const;

export function invalid(message: string): ValidationError {
  return new ValidationError('invalid_filter', message);
}

export function checkString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw invalid(`${what} must be a string`);
  if (value.length > MAX_FILTER_STRING) {
    throw invalid(`${what} is longer than ${MAX_FILTER_STRING} characters`);
  }
  return value;
}

export function checkStrings(values: unknown, what: string): readonly string[] {
  if (values === undefined) return [];
  if (!Array.isArray(values)) throw invalid(`${what} must be a list`);
  if (values.length > MAX_FILTER_VALUES) {
    throw invalid(`${what} takes at most ${MAX_FILTER_VALUES} values`);
  }
  return values.map((v, i) => checkString(v, `${what}[${i}]`));
}

export function checkRange(range: TimeRange): TimeRange {
  const ok = (n: unknown): n is number =>
    typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (!ok(range.from) || !ok(range.to)) {
    throw invalid('from and to must be non-negative integer ms timestamps');
  }
  if (range.from > range.to) throw invalid('from must not be after to');
  return { from: range.from, to: range.to };
}

export function checkInt(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(`${what} must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** Columns a segment filter applies to, in the table being queried. */
export interface SegmentColumns {
  readonly site: string;
  readonly time: string;
  readonly channel: string;
  readonly country: string;
  readonly device: string;
}

/**
 * The WHERE conditions of a segment filter, every value escaped by sql.ts. Column names are our
 * constants (the `columns` argument is never built from input).
 */
export function segmentConditions(filter: SegmentFilter, columns: SegmentColumns): string[] {
  const site = checkString(filter.site, 'site');
  const range = checkRange(filter);
  const conditions = [
    `${columns.site} = ${sqlString(site)}`,
    `${columns.time} >= ${sqlInt(range.from)}`,
    `${columns.time} < ${sqlInt(range.to)}`,
  ];
  const channels = checkStrings(filter.channels, 'channels');
  if (channels.length > 0) conditions.push(`${columns.channel} IN ${sqlList(channels)}`);
  const countries = checkStrings(filter.countries, 'countries');
  if (countries.length > 0) conditions.push(`${columns.country} IN ${sqlList(countries)}`);
  const devices = checkStrings(filter.devices, 'devices');
  for (const device of devices) {
    if (!(DEVICE_TYPES as readonly string[]).includes(device)) {
      throw invalid(`devices must be among ${DEVICE_TYPES.join(', ')}`);
    }
  }
  if (devices.length > 0) conditions.push(`${columns.device} IN ${sqlList(devices)}`);
  return conditions;
}
