import { writeFile } from 'node:fs/promises';
import type { VisitorType } from './generative-model.js';
import type { Random } from './prng.js';

/**
 * CRM profiles of the simulated customers (visitors whose hidden type has a segment), as of the
 * simulation's start: the snapshot a CRM import would load before the traffic arrives.
 *
 * Only `segment` and `churned` move conversion odds (x1.5 new, x2.2 regular, x4 vip, x0.35 when
 * churned; see generative-model.ts); lifetime value, orders and dates are drawn from the segment,
 * so they are informative only through it. Prospects, and visitors who sign up during the run,
 * have no profile: the CRM could not have known them at snapshot time.
 */
export interface CrmProfile {
  readonly userId: string;
  readonly site: string;
  readonly email: string;
  readonly segment: string;
  readonly lifetimeValue: number;
  readonly orders: number;
  /** ISO 8601. */
  readonly firstOrderAt: string;
  readonly lastOrderAt: string;
  readonly tenureDays: number;
  readonly churned: boolean;
}

export const CRM_CSV_COLUMNS = [
  'userId',
  'site',
  'email',
  'segment',
  'lifetimeValue',
  'orders',
  'firstOrderAt',
  'lastOrderAt',
  'tenureDays',
  'churned',
] as const;

const DAY = 86_400_000;

export function drawProfile(
  random: Random,
  who: { userId: string; email: string; site: string },
  type: VisitorType,
  asOf: number,
): CrmProfile {
  const segment = type.segment ?? 'new';
  let orders: number;
  let tenureDays: number;
  if (segment === 'new') {
    orders = 1;
    tenureDays = type.churned ? 200 + random.int(200) : 10 + random.int(110);
  } else if (segment === 'regular') {
    orders = 2 + random.int(9);
    tenureDays = 200 + random.int(1300);
  } else {
    orders = 10 + random.int(40);
    tenureDays = 365 + random.int(2600);
  }
  let value = 0;
  for (let i = 0; i < orders; i++) value += random.logNormal(type.revenueMedian, 0.5);
  const first = asOf - tenureDays * DAY;
  // Churned: nothing for at least 180 days; active: an order within the last 90 days.
  const lastLow = type.churned ? first : Math.max(first, asOf - 90 * DAY);
  const lastHigh = type.churned ? asOf - 180 * DAY : asOf - DAY;
  const last =
    orders === 1 ? first : Math.round(random.uniform(lastLow, Math.max(lastLow, lastHigh)));
  return {
    userId: who.userId,
    site: who.site,
    email: who.email,
    segment,
    lifetimeValue: Math.round(value * 100) / 100,
    orders,
    firstOrderAt: new Date(first).toISOString(),
    lastOrderAt: new Date(last).toISOString(),
    tenureDays,
    churned: type.churned,
  };
}

function csvField(value: string | number | boolean): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV with a header row. */
export function crmCsv(profiles: readonly CrmProfile[]): string {
  const lines = [CRM_CSV_COLUMNS.join(',')];
  for (const profile of profiles) {
    lines.push(CRM_CSV_COLUMNS.map((column) => csvField(profile[column])).join(','));
  }
  return `${lines.join('\n')}\n`;
}

export async function writeCrmCsv(path: string, profiles: readonly CrmProfile[]): Promise<void> {
  await writeFile(path, crmCsv(profiles), 'utf8');
}
