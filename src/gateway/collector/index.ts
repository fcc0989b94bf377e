export {
  collectorPlugin,
  basicAuthUser,
  type CollectorOptions,
  type CollectorLog,
} from './plugin.js';
export { acceptEvents, type GeoLookup, type Rejection, type AcceptedBatch } from './accept.js';
export { RateLimiter, type RateLimitOptions } from './rate-limiter.js';
export { readMessageId, removeIp } from './event-prep.js';
