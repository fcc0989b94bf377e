export { livePlugin, LIVE_ROUTES, type LiveOptions } from './plugin.js';
export {
  LiveHub,
  LIVE_HUB_DEFAULTS,
  scoreFrame,
  type LiveHubOptions,
  type LiveSocket,
  type LiveSubscription,
  type ScoreFrame,
} from './live-hub.js';
export {
  issueLiveToken,
  verifyLiveToken,
  LIVE_TOKEN_PREFIX,
  MAX_LIVE_TOKEN_TTL_S,
  type LiveTokenClaims,
  type LiveTokenError,
} from './token.js';
export { LIVE_ERRORS, liveError, type LiveErrorCode } from './live-errors.js';
