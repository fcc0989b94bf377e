import { contextText } from './event-text.js';
import type { SessionEnv } from './human-session.js';
import type { PageType } from './generative-model.js';
import type { SessionTruth } from './session-truth.js';
import { CRAWLER_PATHS, pageView, type SessionIds } from './site-catalog.js';
import type { Visitor } from './visitor.js';

const CRAWLED: readonly PageType[] = [
  'home',
  'category',
  'product',
  'product',
  'product',
  'blog',
  'help',
  'pricing',
];

/** Mean page calls of a crawl: 5 + uniform 0..35. */
export const BOT_MEAN_EVENTS = 22.5;

/**
 * A crawler's visit: a burst of page calls a second or two apart, with crawler paths mixed in,
 * no referrer, no campaign, never a conversion. One anonymousId per crawl.
 */
export function writeBotSession(env: SessionEnv, visitor: Visitor, session: SessionTruth): void {
  const { random } = env;
  const site = visitor.site;
  const ids: SessionIds = { checkoutId: undefined, lastProductId: undefined };
  const pages = 5 + random.int(36);
  let time = session.start;
  for (let i = 0; i < pages; i++) {
    const crawlerPath = random.chance(0.25) ? random.pick(CRAWLER_PATHS) : undefined;
    const view =
      crawlerPath === undefined ? pageView(random.pick(CRAWLED), site, random, ids) : undefined;
    const path = crawlerPath ?? view?.path ?? '/';
    const search = view?.search ?? '';
    const page = {
      url: `${site.origin}${path}${search}`,
      path,
      referrer: '',
      title: view?.title ?? '',
      search,
    };
    const payload = {
      type: 'page',
      messageId: random.uuid(),
      anonymousId: visitor.anonymousId,
      name: view?.name ?? '',
      properties: { seq: ++visitor.seq, path, title: page.title },
      context: {
        page,
        userAgent: visitor.device.userAgent,
        ip: visitor.ip,
        locale: visitor.device.locale,
        library: env.library,
      },
      timestamp: '',
      sentAt: '',
      receivedAt: undefined,
      writeKey: '',
    };
    const context = contextText(page, undefined, visitor.contextTail);
    if (!env.emit(visitor, time, payload, session, context)) {
      session.truncated = true;
      session.next = 'open';
      return;
    }
    session.pages.push(crawlerPath ?? view?.type ?? 'home');
    session.end = time;
    time += 500 + random.int(3500);
  }
}
