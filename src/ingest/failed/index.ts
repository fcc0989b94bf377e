export * from './failed-event.js';
