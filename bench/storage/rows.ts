/**
 * Rows for the storage benchmark (bench/storage.ts), shaped like production traffic: enriched
 * events with ~40 columns, session updates and closes (half each: the closes feed the per-minute
 * view), live scores (feeding it too), failed events with a truncated payload, identity links
 * and CRM profiles. Deterministic: the same arguments give the same rows.
 */
import type { ClickEvent, Profile, SessionOutput, SessionSummary } from '../../src/core/index.js';
import type { FailedEvent } from '../../src/ingest/index.js';
import type { IdentityLink, ScoreRecord } from '../../src/storage/index.js';

const CHANNELS = ['Organic Search', 'Paid Search', 'Email', 'Direct', 'Referral', 'Organic Social'];
const PAGES = ['/', '/product/:id', '/category/:slug', '/cart', '/checkout', '/blog/:slug'];
const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'NL', ''];
const DEVICES = ['desktop', 'mobile', 'tablet'] as const;
const REASONS = ['schema_violation', 'missing_identity', 'late', 'invalid_json'] as const;

const pick = <T>(items: readonly T[], i: number): T => items[i % items.length] as T;

/** Events shaped like enriched traffic: ~40 columns, URLs, a UA family, a small JSON body. */
export function makeEvents(count: number, start: number, runId: string, offset = 0): ClickEvent[] {
  return Array.from({ length: count }, (_, k) => {
    const i = offset + k;
    const page = pick(PAGES, i * 7);
    const conversion = i % 50 === 49;
    return {
      id: `${runId}-${i}`,
      site: 'bench.example',
      type: conversion ? 'track' : 'page',
      name: conversion ? 'Order Completed' : '',
      visitor: `anon-${i % 40_000}`,
      anonymousId: `anon-${i % 40_000}`,
      userId: i % 5 === 0 ? `user-${i % 9_000}` : null,
      previousId: null,
      groupId: null,
      timestamp: start + i * 3,
      receivedAt: start + i * 3 + 40,
      sentAt: start + i * 3 + 5,
      clockSkewMs: 35,
      futureClamped: false,
      url: `https://bench.example${page.replace(':id', String(i % 5000)).replace(':slug', 'shoes')}?utm_source=news`,
      path: page,
      referrer: i % 3 === 0 ? 'https://www.google.com/' : '',
      title: 'Bench page title',
      pageType: page,
      browser: 'Chrome',
      os: pick(['Windows', 'macOS', 'Android', 'iOS'], i),
      deviceType: pick(DEVICES, i),
      isBot: false,
      ipPrefix: '203.0.113.0',
      country: pick(COUNTRIES, i * 3),
      channel: pick(CHANNELS, i * 11),
      source: 'google',
      medium: 'organic',
      campaign: i % 4 === 0 ? 'spring-sale' : '',
      term: '',
      content: '',
      clickId: i % 9 === 0 ? 'gclid' : '',
      referrerClass: 'search',
      referrerDomain: 'google.com',
      isConversion: conversion,
      revenue: conversion ? 49.9 : 0,
      currency: conversion ? 'EUR' : '',
      properties: conversion ? '{"order_id":"o-1","total":49.9}' : '{"section":"bench"}',
      processorVersion: '0.1.0',
    };
  });
}

/** Half updates, half closes (the view aggregates the closes), two outputs per session. */
export function makeSessions(count: number, start: number, runId: string): SessionOutput[] {
  const event = makeEvents(1, start, runId)[0] as ClickEvent;
  return Array.from({ length: count }, (_, i) => {
    const session: SessionSummary = {
      id: `${runId}-s${i >> 1}`,
      site: 'bench.example',
      visitor: `anon-${i % 40_000}`,
      userId: null,
      startedAt: start + (i >> 1) * 20,
      endedAt: start + (i >> 1) * 20 + 60_000,
      eventCount: 6,
      pageviewCount: 5,
      path: ['/', '/category/:slug', '/product/:id', '/cart', '/checkout'],
      entryChannel: pick(CHANNELS, i),
      entrySource: 'google',
      entryMedium: 'organic',
      entryCampaign: '',
      landingPage: '/',
      exitPage: '/checkout',
      deviceType: pick(DEVICES, i),
      country: pick(COUNTRIES, i),
      isBot: false,
      converted: i % 20 === 1,
      conversions: i % 20 === 1 ? 1 : 0,
      revenue: i % 20 === 1 ? 49.9 : 0,
      currency: 'EUR',
      version: 6 + (i & 1),
    };
    return i % 2 === 0
      ? { kind: 'closed', session, reason: 'gap', mergedInto: null }
      : { kind: 'update', session, event };
  });
}

export function makeScores(count: number, start: number, runId: string): ScoreRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    site: 'bench.example',
    visitor: `anon-${i % 40_000}`,
    sessionId: `${runId}-s${i % 30_000}`,
    at: start + i * 3,
    propensity: (i % 100) / 100,
    markovProbability: (i % 37) / 37,
    nextPages: [
      { pageType: '/cart', probability: 0.4 },
      { pageType: '/checkout', probability: 0.2 },
    ],
    modelVersion: 'm-1',
    channel: pick(CHANNELS, i),
    country: pick(COUNTRIES, i),
    deviceType: pick(DEVICES, i),
  }));
}

/** Failed events as the processor stores them: reason, message and a ~600-byte payload. */
export function makeFailedEvents(count: number, start: number, runId: string): FailedEvent[] {
  const payload = JSON.stringify({
    type: 'track',
    event: 'Clicked',
    anonymousId: 'anon-1',
    properties: { note: 'x'.repeat(480) },
  });
  return Array.from({ length: count }, (_, i) => ({
    id: `${runId}-f${i}`,
    site: 'bench.example',
    reason: pick(REASONS, i),
    message: '/event: must be string',
    stage: i % 3 === 0 ? 'collector' : 'processor',
    processorVersion: '0.1.0',
    size: payload.length,
    payload,
    failedAt: start + i * 3,
    topic: 'pathcast.events',
    partition: i % 8,
    offset: i,
  }));
}

export function makeIdentities(count: number, start: number, runId: string): IdentityLink[] {
  return Array.from({ length: count }, (_, i) => ({
    site: 'bench.example',
    anonymousId: `${runId}-anon-${i}`,
    userId: `user-${i % 9_000}`,
    at: start + i * 3,
  }));
}

export function makeProfiles(count: number, start: number, runId: string): Profile[] {
  return Array.from({ length: count }, (_, i) => ({
    userId: `${runId}-user-${i}`,
    emailHash: 'ab'.repeat(32),
    segment: pick(['prospect', 'regular', 'vip'], i),
    lifetimeValue: (i % 500) * 1.5,
    orders: i % 12,
    firstOrderAt: i % 4 === 0 ? null : start - 90 * 86_400_000,
    lastOrderAt: i % 4 === 0 ? null : start - (i % 30) * 86_400_000,
    tenureDays: i % 700,
    churned: i % 10 === 0,
    attributes: { plan: pick(['free', 'pro'], i), region: pick(COUNTRIES, i) },
    updatedAt: start + i,
  }));
}
