import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PathcastError, type Clock } from '../../core/index.js';
import { LIVE_MODEL_KIND } from '../../runtime/index.js';
import type { ModelSnapshot } from '../../scoring/index.js';
import type { FunnelStep, SegmentFilter, Storage } from '../../storage/index.js';
import type {
  ApiRange,
  AttributionResponse,
  CountriesResponse,
  FailuresResponse,
  FunnelResponse,
  ModelQualityResponse,
  OverviewResponse,
  PageFlowResponse,
  TimelineBucket,
  TimelineResponse,
} from './api-types.js';
import type { Principal } from './auth.js';
import { countries, scoredOutcomes } from './queries.js';
import {
  channelAttribution,
  derivedFunnelSteps,
  flowTotals,
  liveScoreQuality,
  modelQuality,
  storedModelQuality,
} from './reports.js';
import {
  AttributionQuery,
  FunnelQuery,
  PageFlowQuery,
  SegmentQuery,
  TimelineQuery,
} from './schemas.js';

export interface ApiRoutesOptions {
  readonly storage: Pick<Storage, 'queries' | 'handle'>;
  readonly clock: Clock;
  /** The authenticated principal of a request (set by the auth hook). */
  readonly principal: (request: FastifyRequest) => Principal;
  /** The model live scoring serves now; its own metrics come first when it has learnt. */
  readonly model?: () => ModelSnapshot | undefined;
  /** Kind of the stored live model in the models table. Default the runtime's (`live`). */
  readonly modelName?: string;
}

const DAY = 86_400_000;
const DEFAULT_RANGE_MS = 7 * DAY;
/** Pairs of (score, outcome) model quality is computed on, at most. */
const QUALITY_SAMPLE = 20_000;
const TAGS = ['dashboard'];

/**
 * The site and segment of a request: the caller's own site unless it names it (another site is
 * refused), the last 7 days unless given.
 */
export function segmentOf(query: SegmentQuery, principal: Principal, now: number): SegmentFilter {
  const site = query.site ?? principal.site;
  if (site !== principal.site) {
    throw new PathcastError('site_forbidden', `these credentials are for site "${principal.site}"`);
  }
  const to = query.to ?? now + 1;
  const from = query.from ?? Math.max(0, to - DEFAULT_RANGE_MS);
  if (from >= to) throw new PathcastError('invalid_filter', '"from" must be before "to"');
  return {
    site,
    from,
    to,
    ...(query.channel === undefined ? {} : { channels: query.channel }),
    ...(query.country === undefined
      ? {}
      : { countries: query.country.map((c) => c.toUpperCase()) }),
    ...(query.device === undefined ? {} : { devices: query.device }),
  };
}

/** Minute buckets up to 6 h, hours up to 14 days, then days. */
export function defaultBucket(from: number, to: number): TimelineBucket {
  const span = to - from;
  return span <= 6 * 3_600_000 ? 'minute' : span <= 14 * DAY ? 'hour' : 'day';
}

/** `$conversion`, `event:<name>` or a page type. */
export function parseFunnelStep(text: string): FunnelStep {
  if (text === '$conversion') return { kind: 'conversion' };
  if (text.startsWith('event:')) return { kind: 'event', name: text.slice('event:'.length) };
  return { kind: 'page', pageType: text };
}

function stepLabel(step: FunnelStep): string {
  return step.kind === 'page' ? step.pageType : step.kind === 'event' ? step.name : 'Conversion';
}

const range = (filter: SegmentFilter): ApiRange => ({
  site: filter.site,
  from: filter.from,
  to: filter.to,
});

/** The JSON endpoints behind the dashboard's charts; all read storage, all scoped to one site. */
export async function apiRoutes(app: FastifyInstance, options: ApiRoutesOptions): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { queries, handle } = options.storage;
  const segment = (request: FastifyRequest, query: SegmentQuery): SegmentFilter =>
    segmentOf(query, options.principal(request), options.clock.now());

  api.get(
    '/api/overview',
    {
      schema: {
        summary: 'Headline KPIs of closed sessions and scores in the range',
        tags: TAGS,
        querystring: SegmentQuery,
      },
    },
    async (request): Promise<OverviewResponse> => {
      const filter = segment(request, request.query);
      return { ...range(filter), kpis: await queries.overview(filter) };
    },
  );

  api.get(
    '/api/timeline',
    {
      schema: {
        summary: 'KPIs per minute, hour or day (empty buckets filled with zeros)',
        tags: TAGS,
        querystring: TimelineQuery,
      },
    },
    async (request): Promise<TimelineResponse> => {
      const filter = segment(request, request.query);
      const bucket = request.query.bucket ?? defaultBucket(filter.from, filter.to);
      const points = await queries.timeSeries({ ...filter, bucket });
      return { ...range(filter), bucket, points };
    },
  );

  api.get(
    '/api/funnel',
    {
      schema: {
        summary: 'Visitors reaching each funnel step in order (steps derived from the page flow)',
        tags: TAGS,
        querystring: FunnelQuery,
      },
    },
    async (request): Promise<FunnelResponse> => {
      const filter = segment(request, request.query);
      const windowMs = request.query.windowMs ?? DAY;
      const given = request.query.step?.map(parseFunnelStep);
      const steps =
        given ??
        derivedFunnelSteps(await queries.pageFlow({ ...filter, maxSteps: 4, linksPerStep: 100 }));
      const results = steps.length >= 2 ? await queries.funnel({ ...filter, steps, windowMs }) : [];
      return {
        ...range(filter),
        windowMs,
        derived: given === undefined,
        steps: results.map((r) => ({ ...r, label: stepLabel(r.step) })),
      };
    },
  );

  api.get(
    '/api/page-flow',
    {
      schema: {
        summary: 'Sankey links of page-type flows of closed sessions, ending in conversion or exit',
        tags: TAGS,
        querystring: PageFlowQuery,
      },
    },
    async (request): Promise<PageFlowResponse> => {
      const filter = segment(request, request.query);
      const links = await queries.pageFlow({
        ...filter,
        maxSteps: request.query.maxSteps ?? 4,
        linksPerStep: request.query.linksPerStep ?? 12,
      });
      return { ...range(filter), links, ...flowTotals(links) };
    },
  );

  api.get(
    '/api/attribution',
    {
      schema: {
        summary: 'Channel attribution: Markov removal effects beside first, last and linear touch',
        tags: TAGS,
        querystring: AttributionQuery,
      },
    },
    async (request): Promise<AttributionResponse> => {
      const filter = segment(request, request.query);
      const order = request.query.order ?? 1;
      const withNull = request.query.withNull ?? false;
      const paths = await queries.channelPaths(filter);
      return {
        ...range(filter),
        order,
        withNull,
        ...channelAttribution(paths, { order, withNull }),
      };
    },
  );

  api.get(
    '/api/countries',
    {
      schema: { summary: 'Closed sessions per country', tags: TAGS, querystring: SegmentQuery },
    },
    async (request): Promise<CountriesResponse> => {
      const filter = segment(request, request.query);
      return { ...range(filter), countries: await countries(handle, filter) };
    },
  );

  api.get(
    '/api/model',
    {
      schema: {
        summary: 'Model quality: AUC, log-loss and calibration curve, with the model version',
        tags: TAGS,
        querystring: SegmentQuery,
      },
    },
    async (request): Promise<ModelQualityResponse> => {
      const filter = segment(request, request.query);
      const serving = options.model?.();
      const current = serving === undefined ? undefined : modelQuality(serving, 'serving');
      if (current !== undefined && current.examples > 0) return { ...range(filter), ...current };
      const [latest] = await queries.latestModels(options.modelName ?? LIVE_MODEL_KIND, 1);
      const stored = latest === undefined ? undefined : storedModelQuality(latest);
      if (stored !== undefined && stored.examples > 0) return { ...range(filter), ...stored };
      const live = liveScoreQuality(await scoredOutcomes(handle, filter, QUALITY_SAMPLE));
      return { ...range(filter), ...live };
    },
  );

  api.get(
    '/api/failures',
    {
      schema: {
        summary: 'Failed events by reason (collector, processor and sessionizer)',
        tags: TAGS,
        querystring: SegmentQuery,
      },
    },
    async (request): Promise<FailuresResponse> => {
      const filter = segment(request, request.query);
      const reasons = await queries.failureCounts({
        site: filter.site,
        from: filter.from,
        to: filter.to,
      });
      return {
        ...range(filter),
        total: reasons.reduce((sum, r) => sum + r.count, 0),
        reasons,
      };
    },
  );
}
