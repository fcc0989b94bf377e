import { describe, expect, it } from 'vitest';
import {
  escapePropertyValue,
  KAFKA_VERSION,
  kafkaClusterId,
  kafkaLog4jProperties,
  kafkaPom,
  kafkaServerProperties,
  RELOAD4J_VERSION,
  SLF4J_RELOAD4J_VERSION,
} from './kafka-config.js';

/** Reads a .properties text back (enough of the format for what we write). */
function parseProperties(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    map.set(line.slice(0, eq), line.slice(eq + 1).replace(/\\(.)/g, '$1'));
  }
  return map;
}

describe('kafkaServerProperties', () => {
  const props = parseProperties(
    kafkaServerProperties({
      host: '127.0.0.1',
      brokerPort: 19092,
      controllerPort: 19093,
      logDir: '/run/kafka/data',
    }),
  );

  it.each([
    ['process.roles', 'broker,controller'],
    ['node.id', '1'],
    ['controller.quorum.voters', '1@127.0.0.1:19093'],
    ['listeners', 'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093'],
    ['advertised.listeners', 'PLAINTEXT://127.0.0.1:19092'],
    ['controller.listener.names', 'CONTROLLER'],
    ['listener.security.protocol.map', 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT'],
    ['log.dirs', '/run/kafka/data'],
    ['num.partitions', '1'],
    ['offsets.topic.replication.factor', '1'],
    ['offsets.topic.num.partitions', '1'],
    ['transaction.state.log.replication.factor', '1'],
    ['transaction.state.log.min.isr', '1'],
    ['transaction.state.log.num.partitions', '1'],
    ['group.initial.rebalance.delay.ms', '0'],
    ['auto.create.topics.enable', 'false'],
  ])('%s=%s', (key, value) => {
    expect(props.get(key)).toBe(value);
  });

  it('listens on the given host only (no 0.0.0.0, no default ports)', () => {
    const text = [...props.values()].join('\n');
    expect(text).not.toMatch(/0\.0\.0\.0|:9092|:9093/);
  });

  it('names the node in the voters list', () => {
    const other = parseProperties(
      kafkaServerProperties({
        host: '::1',
        brokerPort: 1,
        controllerPort: 2,
        logDir: '/d',
        nodeId: 7,
      }),
    );
    expect(other.get('node.id')).toBe('7');
    expect(other.get('controller.quorum.voters')).toBe('7@::1:2');
  });

  it('escapes a log folder with backslashes so Java reads it back unchanged', () => {
    const text = kafkaServerProperties({
      host: 'h',
      brokerPort: 1,
      controllerPort: 2,
      logDir: 'C:\\kafka\\data',
    });
    expect(text).toContain('log.dirs=C:\\\\kafka\\\\data\n');
  });
});

describe('escapePropertyValue', () => {
  it.each([
    ['plain', 'plain'],
    ['/a/b c', '/a/b c'],
    ['back\\slash', 'back\\\\slash'],
    ['line\nbreak', 'line\\nbreak'],
    ['cr\rhere', 'cr\\rhere'],
    [' leading blank', '\\ leading blank'],
    ['\tleading tab', '\\\tleading tab'],
    ['', ''],
  ])('%j -> %j', (input, expected) => {
    expect(escapePropertyValue(input)).toBe(expected);
  });
});

describe('kafkaLog4jProperties', () => {
  const props = parseProperties(kafkaLog4jProperties('/run/kafka/logs/server.log'));

  it('logs to the given file, size-capped', () => {
    expect(props.get('log4j.rootLogger')).toBe('INFO, file');
    expect(props.get('log4j.appender.file')).toBe('org.apache.log4j.RollingFileAppender');
    expect(props.get('log4j.appender.file.File')).toBe('/run/kafka/logs/server.log');
    expect(props.get('log4j.appender.file.MaxFileSize')).toBe('50MB');
  });
});

describe('kafkaPom', () => {
  const pom = kafkaPom();

  it.each([
    ['org.apache.kafka', 'kafka_2.13', KAFKA_VERSION],
    ['org.slf4j', 'slf4j-reload4j', SLF4J_RELOAD4J_VERSION],
    ['ch.qos.reload4j', 'reload4j', RELOAD4J_VERSION],
  ])('depends on %s:%s:%s', (groupId, artifactId, version) => {
    expect(pom).toContain(
      `<groupId>${groupId}</groupId>\n      <artifactId>${artifactId}</artifactId>\n      <version>${version}</version>`,
    );
  });

  it('is a 3.9.x broker', () => {
    expect(KAFKA_VERSION).toMatch(/^3\.9\.\d+$/);
  });

  it('is a packaging-only pom (nothing to compile)', () => {
    expect(pom).toContain('<packaging>pom</packaging>');
  });
});

describe('kafkaClusterId', () => {
  it.each([
    [new Uint8Array(16), 'AAAAAAAAAAAAAAAAAAAAAA'],
    [new Uint8Array(16).fill(255), '_____________________w'],
  ])('encodes 16 bytes as 22 base64url characters', (bytes, expected) => {
    expect(kafkaClusterId(bytes)).toBe(expected);
  });

  it.each([0, 15, 17])('refuses %i bytes', (length) => {
    expect(() => kafkaClusterId(new Uint8Array(length))).toThrow(/16 bytes/);
  });
});
