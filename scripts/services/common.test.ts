import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheRoot, isServiceName, lastLines, servicesRoot } from './common.js';

describe('lastLines', () => {
  it.each([
    { text: '', count: 3, expected: [] },
    { text: 'a\nb\nc\n', count: 2, expected: ['b', 'c'] },
    { text: 'a\nb\nc', count: 2, expected: ['b', 'c'] },
    { text: 'a\nb\n', count: 10, expected: ['a', 'b'] },
    { text: 'a\n\nb\n', count: 3, expected: ['a', '', 'b'] },
    { text: 'a\nb', count: 0, expected: [] },
  ])('$count of $text', ({ text, count, expected }) => {
    expect(lastLines(text, count)).toEqual(expected);
  });
});

describe('cacheRoot and servicesRoot', () => {
  it.each([
    {
      env: {},
      cache: join(homedir(), '.cache', 'pathcast'),
      services: join(homedir(), '.cache', 'pathcast', 'services'),
    },
    { env: { XDG_CACHE_HOME: '/x' }, cache: '/x/pathcast', services: '/x/pathcast/services' },
    {
      env: { XDG_CACHE_HOME: '' },
      cache: join(homedir(), '.cache', 'pathcast'),
      services: join(homedir(), '.cache', 'pathcast', 'services'),
    },
    {
      env: { PATHCAST_SERVICES_DIR: '/srv/s' },
      cache: join(homedir(), '.cache', 'pathcast'),
      services: '/srv/s',
    },
    {
      env: { PATHCAST_SERVICES_DIR: 'rel' },
      cache: join(homedir(), '.cache', 'pathcast'),
      services: resolve('rel'),
    },
  ])('$env', ({ env, cache, services }) => {
    expect(cacheRoot(env)).toBe(cache);
    expect(servicesRoot(env)).toBe(services);
  });
});

describe('isServiceName', () => {
  it.each([
    ['kafka', true],
    ['clickhouse', true],
    ['postgres', true],
    ['Kafka', false],
    ['redis', false],
    ['', false],
  ])('%s -> %s', (name, expected) => {
    expect(isServiceName(name)).toBe(expected);
  });
});
