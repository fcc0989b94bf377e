import type { SessionSummary } from '../core/index.js';

/** For the runtime's unit tests: a one-page-view session's summary, fields overridable. */
export function sessionSummary(id: string, fields: Partial<SessionSummary> = {}): SessionSummary {
  return {
    id,
    site: 'shop',
    visitor: `visitor-${id}`,
    userId: null,
    startedAt: SESSION_T0,
    endedAt: SESSION_T0,
    eventCount: 1,
    pageviewCount: 1,
    path: ['home'],
    entryChannel: 'Direct',
    entrySource: '',
    entryMedium: '',
    entryCampaign: '',
    landingPage: '/',
    exitPage: '/',
    deviceType: 'desktop',
    country: 'DE',
    isBot: false,
    converted: false,
    conversions: 0,
    revenue: 0,
    currency: '',
    version: 1,
    ...fields,
  };
}

/** When the test sessions start. */
export const SESSION_T0 = Date.UTC(2026, 10, 1, 12);
