import { channelTouch, type Campaign } from './channel-touch.js';
import {
  ALIAS_PROBABILITY,
  CHANNELS,
  CHECKOUT_IDENTIFY_PROBABILITY,
  CONVERSION_EVENT,
  DWELL_MEDIAN_S,
  DWELL_SIGMA,
  LOGIN_PROBABILITY,
  MAX_DWELL_MS,
  MAX_PAGES_PER_SESSION,
  PAGE_TYPES,
  VISITOR_TYPES,
  type PageType,
} from './generative-model.js';
import type { Random } from './prng.js';
import { CONVERT, EXIT, type SessionComponent } from './session-model.js';
import type { SessionTruth } from './session-truth.js';
import { pageView, type SessionIds } from './site-catalog.js';
import type { Visitor } from './visitor.js';
import { contextText } from './event-text.js';
import { isoTime } from './iso-time.js';

/** Where a session writer sends each event; false means the event budget is spent: stop. */
export type EmitEvent = (
  visitor: Visitor,
  time: number,
  payload: Record<string, unknown>,
  session: SessionTruth,
  /** JSON of payload.context (see event-text.ts). */
  context: string,
) => boolean;

export interface SessionEnv {
  readonly random: Random;
  readonly emit: EmitEvent;
  readonly library: Readonly<{ name: string; version: string }>;
}

interface PageContext {
  readonly url: string;
  readonly path: string;
  readonly referrer: string;
  readonly title: string;
  readonly search: string;
}

type Payload = Record<string, unknown>;

/** Tracking calls a page type makes while the visitor is on it, with their probabilities. */
export const PAGE_TRACKS: Partial<Record<PageType, { event: string; probability: number }>> = {
  product: { event: 'Product Viewed', probability: 0.6 },
  search: { event: 'Products Searched', probability: 0.8 },
  cart: { event: 'Cart Viewed', probability: 0.5 },
  checkout: { event: 'Checkout Started', probability: 0.7 },
};

function makeContext(
  visitor: Visitor,
  page: PageContext,
  campaign: Campaign | undefined,
  library: SessionEnv['library'],
): Payload {
  // NOTE: key order is what event-text.ts serialises: page, campaign, then the visitor's part.
  return {
    page,
    campaign,
    userAgent: visitor.device.userAgent,
    ip: visitor.ip,
    locale: visitor.device.locale,
    library,
  };
}

/** One session being written: what the writer's steps share. */
interface Walk {
  readonly visitor: Visitor;
  readonly session: SessionTruth;
  readonly ids: SessionIds;
  /** JSON of the current page view's context, shared by its events. */
  contextText: string;
}

/**
 * Writes human sessions: walks the component's hidden page chain from a landing page drawn for
 * the channel until `convert` or `exit`, emitting Segment page, track, identify and alias calls
 * on the way, and records the walk in the session's truth. Sub-events of a page happen at fixed
 * fractions of the time spent on it, so the per-visitor sequence is also time order.
 *
 * NOTE: a class with methods rather than closures per session: this is the hot path, and
 * closures created per page cost allocations (and, under tsx, a defineProperty each).
 */
export class HumanSessionWriter {
  private readonly env: SessionEnv;

  constructor(env: SessionEnv) {
    this.env = env;
  }

  write(visitor: Visitor, component: SessionComponent, session: SessionTruth): void {
    const random = this.env.random;
    const site = visitor.site;
    const touch = channelTouch(CHANNELS[component.channel] ?? 'Direct', random);
    const walk: Walk = {
      visitor,
      session,
      ids: { checkoutId: undefined, lastProductId: undefined },
      contextText: '',
    };
    let state = random.weighted(component.landingCumulative);
    let time = session.start;
    let referrer = touch.referrer;
    session.probabilities.push(component.startProbability);

    for (let page = 0; page < MAX_PAGES_PER_SESSION; page++) {
      const type = PAGE_TYPES[state] ?? 'home';
      const view = pageView(type, site, random, walk.ids);
      const landingQuery = page === 0 ? touch.query : '';
      const search =
        landingQuery === ''
          ? view.search
          : view.search === ''
            ? `?${landingQuery}`
            : `${view.search}&${landingQuery}`;
      const url = `${site.origin}${view.path}${search}`;
      const pageContext: PageContext = {
        url,
        path: view.path,
        referrer,
        title: view.title,
        search,
      };
      const campaign = page === 0 ? touch.campaign : undefined;
      const context = makeContext(visitor, pageContext, campaign, this.env.library);
      walk.contextText = contextText(pageContext, campaign, visitor.contextTail);
      const ok = this.send(walk, time, {
        type: 'page',
        messageId: random.uuid(),
        anonymousId: visitor.anonymousId,
        userId: visitor.identified ? (visitor.userId ?? undefined) : undefined,
        name: view.name,
        properties: { seq: ++visitor.seq, path: view.path, title: view.title, ...view.properties },
        context,
        timestamp: '',
        sentAt: '',
        receivedAt: undefined,
        writeKey: '',
      });
      if (!ok) return;
      session.pages.push(type);
      session.probabilities.push(component.convertFrom[state] ?? 0);

      const next = random.weighted(component.rowCumulative[state] ?? LAST_ONLY);
      const dwell = Math.round(
        Math.max(
          1000,
          Math.min(MAX_DWELL_MS, random.logNormal(DWELL_MEDIAN_S[type] * 1000, DWELL_SIGMA)),
        ),
      );

      if (
        page === 0 &&
        visitor.userId !== null &&
        !visitor.identified &&
        random.chance(LOGIN_PROBABILITY)
      ) {
        const traits = { email: visitor.email ?? undefined };
        if (!this.identify(walk, time + Math.round(dwell * 0.1), traits, context)) return;
      }
      const pageTrack = PAGE_TRACKS[type];
      if (pageTrack !== undefined && random.chance(pageTrack.probability)) {
        const at = time + Math.round(dwell * 0.3);
        if (!this.track(walk, at, pageTrack.event, view.properties, context)) return;
      }
      if (next === CONVERT) {
        this.convert(walk, type, time, dwell, context);
        return;
      }
      if (next === EXIT) return;
      if (type === 'product' && PAGE_TYPES[next] === 'cart') {
        const product = { product_id: walk.ids.lastProductId ?? 10_000, quantity: 1 };
        const at = time + Math.round(dwell * 0.8);
        if (!this.track(walk, at, 'Product Added', product, context)) return;
      }
      referrer = url;
      time += dwell;
      state = next;
    }
  }

  private send(walk: Walk, at: number, payload: Payload): boolean {
    if (!this.env.emit(walk.visitor, at, payload, walk.session, walk.contextText)) {
      walk.session.truncated = true;
      walk.session.next = 'open';
      return false;
    }
    walk.session.end = at;
    return true;
  }

  private track(
    walk: Walk,
    at: number,
    event: string,
    properties: Payload,
    context: Payload,
  ): boolean {
    const visitor = walk.visitor;
    return this.send(walk, at, {
      type: 'track',
      messageId: this.env.random.uuid(),
      anonymousId: visitor.anonymousId,
      userId: visitor.identified ? (visitor.userId ?? undefined) : undefined,
      event,
      properties: { seq: ++visitor.seq, ...properties },
      context,
      timestamp: '',
      sentAt: '',
      receivedAt: undefined,
      writeKey: '',
    });
  }

  private identify(walk: Walk, at: number, traits: Payload, context: Payload): boolean {
    const visitor = walk.visitor;
    visitor.identified = true;
    walk.session.userId = visitor.userId;
    return this.send(walk, at, {
      type: 'identify',
      messageId: this.env.random.uuid(),
      anonymousId: visitor.anonymousId,
      userId: visitor.userId ?? undefined,
      traits,
      properties: { seq: ++visitor.seq },
      context,
      timestamp: '',
      sentAt: '',
      receivedAt: undefined,
      writeKey: '',
    });
  }

  private newAccount(visitor: Visitor): void {
    const handle = this.env.random.hex(12);
    visitor.userId = `usr_${handle}`;
    visitor.email = `user.${handle}@example.com`;
  }

  /** The `convert` transition: identify if needed, then the conversion event ends the session. */
  private convert(walk: Walk, type: PageType, time: number, dwell: number, context: Payload): void {
    const { visitor, session } = walk;
    const random = this.env.random;
    const identifyAt = time + Math.round(dwell * 0.4);
    const convertAt = time + Math.round(dwell * 0.5);
    const event = CONVERSION_EVENT[type] ?? 'Order Completed';
    if (event === 'Signed Up') {
      if (visitor.userId === null) this.newAccount(visitor);
      if (!visitor.identified) {
        const traits = { email: visitor.email ?? undefined, created_at: isoTime(identifyAt) };
        if (!this.identify(walk, identifyAt, traits, context)) return;
        if (random.chance(ALIAS_PROBABILITY)) {
          const ok = this.send(walk, time + Math.round(dwell * 0.45), {
            type: 'alias',
            messageId: random.uuid(),
            anonymousId: visitor.anonymousId,
            previousId: visitor.anonymousId,
            userId: visitor.userId ?? undefined,
            properties: { seq: ++visitor.seq },
            context,
            timestamp: '',
            sentAt: '',
            receivedAt: undefined,
            writeKey: '',
          });
          if (!ok) return;
        }
      }
      const method = random.pick(SIGNUP_METHODS);
      if (!this.track(walk, convertAt, event, { method }, context)) return;
      session.converted = true;
      session.conversionEvent = event;
      return;
    }
    if (!visitor.identified && random.chance(CHECKOUT_IDENTIFY_PROBABILITY)) {
      if (visitor.userId === null) this.newAccount(visitor);
      if (!this.identify(walk, identifyAt, { email: visitor.email ?? undefined }, context)) return;
    }
    const kind = VISITOR_TYPES[visitor.typeIndex];
    const draw = random.logNormal(kind?.revenueMedian ?? 50, kind?.revenueSigma ?? 0.6);
    const revenue = Math.round(draw * 100) / 100;
    const productId = walk.ids.lastProductId ?? 10_000;
    const properties = {
      order_id: `ord_${random.hex(12)}`,
      checkout_id: walk.ids.checkoutId,
      total: revenue,
      revenue,
      currency: visitor.site.currency,
      products: [{ product_id: productId, quantity: 1, price: revenue }],
    };
    if (!this.track(walk, convertAt, event, properties, context)) return;
    session.converted = true;
    session.conversionEvent = event;
    session.revenue = revenue;
  }
}

const LAST_ONLY = new Float64Array([1]);
const SIGNUP_METHODS: readonly string[] = ['email', 'google', 'apple'];
