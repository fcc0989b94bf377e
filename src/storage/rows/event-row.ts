import type { ClickEvent } from '../../core/index.js';
import { TABLES } from '../schema/table-names.js';
import { cellsOf } from './cells.js';
import { defineTable } from './define-table.js';
import { utcMonth } from './values.js';

const c = cellsOf<ClickEvent>();

export const EVENTS_SPEC = defineTable(
  TABLES.events,
  {
    id: c.text((e) => e.id),
    site: c.text((e) => e.site),
    type: c.text((e) => e.type),
    name: c.text((e) => e.name),
    visitor: c.text((e) => e.visitor),
    anonymous_id: c.nullableText((e) => e.anonymousId),
    user_id: c.nullableText((e) => e.userId),
    previous_id: c.nullableText((e) => e.previousId),
    group_id: c.nullableText((e) => e.groupId),
    timestamp: c.uint((e) => e.timestamp),
    received_at: c.uint((e) => e.receivedAt),
    sent_at: c.nullableUint((e) => e.sentAt),
    clock_skew_ms: c.int((e) => e.clockSkewMs),
    future_clamped: c.flag((e) => e.futureClamped),
    url: c.text((e) => e.url),
    path: c.text((e) => e.path),
    referrer: c.text((e) => e.referrer),
    title: c.text((e) => e.title),
    page_type: c.text((e) => e.pageType),
    browser: c.text((e) => e.browser),
    os: c.text((e) => e.os),
    device_type: c.text((e) => e.deviceType),
    is_bot: c.flag((e) => e.isBot),
    ip_prefix: c.text((e) => e.ipPrefix),
    country: c.text((e) => e.country),
    channel: c.text((e) => e.channel),
    source: c.text((e) => e.source),
    medium: c.text((e) => e.medium),
    campaign: c.text((e) => e.campaign),
    term: c.text((e) => e.term),
    content: c.text((e) => e.content),
    click_id: c.text((e) => e.clickId),
    referrer_class: c.text((e) => e.referrerClass),
    referrer_domain: c.text((e) => e.referrerDomain),
    is_conversion: c.flag((e) => e.isConversion),
    revenue: c.float((e) => e.revenue),
    currency: c.text((e) => e.currency),
    properties: c.text((e) => e.properties),
    processor_version: c.text((e) => e.processorVersion),
  },
  { partitionOf: (e) => utcMonth(e.timestamp) },
);

export const EVENT_COLUMNS = EVENTS_SPEC.columns;

export type EventColumn = (typeof EVENT_COLUMNS)[number];

/** The stored row of an event, as an object. */
export const eventRow = (e: ClickEvent): Readonly<Record<EventColumn, unknown>> =>
  EVENTS_SPEC.toRow(e);
