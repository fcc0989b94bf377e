import type { ClickEvent, Profile } from '../../core/index.js';
import type { IdentityLink } from '../rows/identity-row.js';
import type { StoredModel } from '../rows/model-row.js';
import type { ScoreRecord } from '../rows/score-row.js';
import { channelPaths, type ChannelPath } from './attribution.js';
import {
  failureCounts,
  searchFailedEvents,
  type FailedEventPage,
  type FailedEventSearch,
  type FailureCount,
} from './failed-events.js';
import type { SegmentFilter } from './filters.js';
import { funnel, type FunnelQuery, type FunnelStepResult } from './funnel.js';
import { getIdentities, type IdentityLookup } from './identities.js';
import type { Kpis } from './kpis.js';
import { latestModels } from './models.js';
import { overview } from './overview.js';
import { pageFlow, type FlowLink, type PageFlowQuery } from './page-flow.js';
import { getProfiles } from './profiles.js';
import type { QueryTarget } from './run-query.js';
import { scoreTimeline, type ScoreTimelineQuery } from './score-timeline.js';
import { getSession, type FoundSession, type SessionLookup } from './session-by-id.js';
import { searchSessions, type SessionPage, type SessionSearch } from './session-search.js';
import { timeSeries, type TimeSeriesPoint, type TimeSeriesQuery } from './time-series.js';
import { visitorEvents, type VisitorEventsQuery } from './visitor-events.js';
import { latestVisitorScore, type VisitorScoreQuery } from './visitor-score.js';

/** Every read the dashboards, the API and the batch jobs make, bound to one database. */
export interface StorageQueries {
  overview(filter: SegmentFilter): Promise<Kpis>;
  timeSeries(query: TimeSeriesQuery): Promise<TimeSeriesPoint[]>;
  funnel(query: FunnelQuery): Promise<FunnelStepResult[]>;
  pageFlow(query: PageFlowQuery): Promise<FlowLink[]>;
  channelPaths(filter: SegmentFilter): Promise<ChannelPath[]>;
  searchSessions(search: SessionSearch): Promise<SessionPage>;
  searchFailedEvents(search: FailedEventSearch): Promise<FailedEventPage>;
  failureCounts(search: FailedEventSearch): Promise<FailureCount[]>;
  visitorEvents(query: VisitorEventsQuery): Promise<ClickEvent[]>;
  scoreTimeline(query: ScoreTimelineQuery): Promise<ScoreRecord[]>;
  profiles(userIds: readonly string[]): Promise<Profile[]>;
  identities(lookup: IdentityLookup): Promise<IdentityLink[]>;
  latestModels(kind: string, limit?: number): Promise<StoredModel[]>;
  /** One session's latest state by id, merged-away ids resolved; undefined when unknown. */
  session(lookup: SessionLookup): Promise<FoundSession | undefined>;
  /** A visitor's most recent stored score; undefined when none. */
  latestVisitorScore(query: VisitorScoreQuery): Promise<ScoreRecord | undefined>;
}

export function createStorageQueries(target: QueryTarget): StorageQueries {
  return {
    overview: (filter) => overview(target, filter),
    timeSeries: (query) => timeSeries(target, query),
    funnel: (query) => funnel(target, query),
    pageFlow: (query) => pageFlow(target, query),
    channelPaths: (filter) => channelPaths(target, filter),
    searchSessions: (search) => searchSessions(target, search),
    searchFailedEvents: (search) => searchFailedEvents(target, search),
    failureCounts: (search) => failureCounts(target, search),
    visitorEvents: (query) => visitorEvents(target, query),
    scoreTimeline: (query) => scoreTimeline(target, query),
    profiles: (userIds) => getProfiles(target, userIds),
    identities: (lookup) => getIdentities(target, lookup),
    latestModels: (kind, limit) => latestModels(target, kind, limit),
    session: (lookup) => getSession(target, lookup),
    latestVisitorScore: (query) => latestVisitorScore(target, query),
  };
}
