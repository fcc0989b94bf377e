import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cacheRoot,
  DEFAULT_PORTS,
  isServiceName,
  lastLines,
  servicePorts,
  servicesRoot,
} from './common.js';

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

describe('servicePorts', () => {
  it.each([
    { offset: undefined, kafka: 19092, postgres: 15432 },
    { offset: '', kafka: 19092, postgres: 15432 },
    { offset: '0', kafka: 19092, postgres: 15432 },
    { offset: '100', kafka: 19192, postgres: 15532 },
  ])('offset $offset', ({ offset, kafka, postgres }) => {
    const ports = servicePorts(
      offset === undefined ? {} : { PATHCAST_SERVICES_PORT_OFFSET: offset },
    );
    expect(ports.kafkaBroker).toBe(kafka);
    expect(ports.postgres).toBe(postgres);
    expect(ports.clickhouseHttp - DEFAULT_PORTS.clickhouseHttp).toBe(kafka - 19092);
  });

  it.each(['-1', '1.5', 'abc', '40001', '1e3x'])('refuses offset %j', (offset) => {
    expect(() => servicePorts({ PATHCAST_SERVICES_PORT_OFFSET: offset })).toThrow(
      /PATHCAST_SERVICES_PORT_OFFSET/,
    );
  });
});
