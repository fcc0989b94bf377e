export { dashboardPlugin, type DashboardOptions } from './plugin.js';
export { DashboardAuth, SESSION_COOKIE, type Principal } from './auth.js';
export { DASHBOARD_ERRORS, type DashboardErrorCode } from './errors.js';
export { LiveBoard, LIVE_WINDOW_MS } from './live-board.js';
export { LiveHub, type LiveHubOptions } from './live-hub.js';
export { defaultWebRoot } from './web-app.js';
export type * from './api-types.js';
