export { buildApp, type AppDeps, type ReadinessCheck } from './app.js';
export { HTTP_ERRORS, httpError, type HttpErrorCode } from './http-errors.js';
export * from './collector/index.js';
export { TRACKER_SOURCE } from './tracker/plugin.js';
export * from './live/index.js';
