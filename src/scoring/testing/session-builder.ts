import type {
  ClickEvent,
  DeviceType,
  SessionClosed,
  SessionCloseReason,
  SessionSummary,
  SessionUpdate,
} from '../../core/index.js';
import { MAX_SESSION_PATH } from '../../core/index.js';

/**
 * Builds the SessionUpdate / SessionClosed stream a sessionizer would emit for one scripted
 * session, so tests and benchmarks can drive the trainer and scorer without a sessionizer.
 * Aggregates follow SessionSummary's contract: every update's summary includes its event.
 * Not part of the module's API (index.ts does not export it).
 */
export interface SessionSetup {
  readonly id: string;
  readonly site?: string;
  readonly visitor?: string;
  readonly userId?: string | null;
  readonly channel?: string;
  readonly campaign?: string;
  readonly device?: DeviceType;
  readonly country?: string;
  readonly isBot?: boolean;
}

export interface ScriptedEvent {
  /** Event time, ms. */
  readonly at: number;
  /** A pageview of this page type. */
  readonly page?: string;
  /** A track event with this name. */
  readonly track?: string;
  readonly conversion?: boolean;
  readonly revenue?: number;
}

export class SessionBuilder {
  private summary: SessionSummary;
  private pageType = '';

  constructor(setup: SessionSetup) {
    this.summary = {
      id: setup.id,
      site: setup.site ?? 'site-1',
      visitor: setup.visitor ?? `visitor-${setup.id}`,
      userId: setup.userId ?? null,
      startedAt: Number.NaN,
      endedAt: Number.NaN,
      eventCount: 0,
      pageviewCount: 0,
      path: [],
      entryChannel: setup.channel ?? 'Direct',
      entrySource: '',
      entryMedium: '',
      entryCampaign: setup.campaign ?? '',
      landingPage: '',
      exitPage: '',
      deviceType: setup.device ?? 'desktop',
      country: setup.country ?? 'DE',
      isBot: setup.isBot ?? false,
      converted: false,
      conversions: 0,
      revenue: 0,
      currency: 'EUR',
      version: 0,
    };
  }

  get session(): SessionSummary {
    return this.summary;
  }

  event(e: ScriptedEvent): SessionUpdate {
    const s = this.summary;
    const isPage = e.page !== undefined;
    if (isPage) this.pageType = e.page ?? '';
    const conversion = e.conversion ?? false;
    const path = isPage && s.path.length < MAX_SESSION_PATH ? [...s.path, this.pageType] : s.path;
    const event: ClickEvent = {
      id: `${s.id}-${s.eventCount + 1}`,
      site: s.site,
      type: isPage ? 'page' : 'track',
      name: isPage ? '' : (e.track ?? (conversion ? 'Order Completed' : 'Event')),
      visitor: s.visitor,
      anonymousId: s.visitor,
      userId: s.userId,
      previousId: null,
      groupId: null,
      timestamp: e.at,
      receivedAt: e.at,
      sentAt: e.at,
      clockSkewMs: 0,
      futureClamped: false,
      url: `https://example.com${this.pageType}`,
      path: this.pageType,
      referrer: '',
      title: '',
      pageType: this.pageType,
      browser: 'Chrome',
      os: 'Linux',
      deviceType: s.deviceType,
      isBot: s.isBot,
      ipPrefix: '',
      country: s.country,
      channel: s.entryChannel,
      source: '',
      medium: '',
      campaign: s.entryCampaign,
      term: '',
      content: '',
      clickId: '',
      referrerClass: 'direct',
      referrerDomain: '',
      isConversion: conversion,
      revenue: conversion ? (e.revenue ?? 0) : 0,
      currency: 'EUR',
      properties: '{}',
      processorVersion: 'test',
    };
    this.summary = {
      ...s,
      startedAt: s.eventCount === 0 ? e.at : s.startedAt,
      endedAt: e.at,
      eventCount: s.eventCount + 1,
      pageviewCount: s.pageviewCount + (isPage ? 1 : 0),
      path,
      landingPage: s.landingPage === '' ? this.pageType : s.landingPage,
      exitPage: this.pageType,
      converted: s.converted || conversion,
      conversions: s.conversions + (conversion ? 1 : 0),
      revenue: s.revenue + event.revenue,
      version: s.version + 1,
    };
    return { kind: 'update', session: this.summary, event };
  }

  close(reason: SessionCloseReason = 'gap', mergedInto: string | null = null): SessionClosed {
    return { kind: 'closed', session: this.summary, reason, mergedInto };
  }
}
