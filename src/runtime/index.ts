export { Runtime, type RuntimeDeps, type RuntimeStatus } from './runtime.js';
