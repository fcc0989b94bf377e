/**
 * Fast `new Date(ms).toISOString()` for the simulator's hot path (three times per event): the
 * date part is cached per day and the time of day is assembled from lookup tables. Same output
 * as toISOString for years 0000-9999.
 */

const DAY = 86_400_000;
const TWO: readonly string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const THREE: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
const dayPrefixes = new Map<number, string>();

export function isoTime(ms: number): string {
  const day = Math.floor(ms / DAY);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    prefix = new Date(day * DAY).toISOString().slice(0, 11);
    // Bounded: a run touches a few hundred days at most; start over if something odd grows it.
    if (dayPrefixes.size > 10_000) dayPrefixes.clear();
    dayPrefixes.set(day, prefix);
  }
  let rest = Math.floor(ms) - day * DAY;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  return `${prefix}${TWO[hours] ?? '00'}:${TWO[minutes] ?? '00'}:${TWO[seconds] ?? '00'}.${THREE[millis] ?? '000'}Z`;
}
