import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rewriteClickHouseConfig, type ClickHouseConfigOptions } from './clickhouse.js';
import { getXmlElement } from './xml-config.js';

/** The parts of Debian's 18.16 config.xml that matter here. */
const DEBIAN_18_16 = `<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>/var/log/clickhouse-server/clickhouse-server.log</log>
        <errorlog>/var/log/clickhouse-server/clickhouse-server.err.log</errorlog>
        <size>1000M</size>
        <count>10</count>
    </logger>
    <http_port>8123</http_port>
    <tcp_port>9000</tcp_port>
    <!--
    <https_port>8443</https_port>
    <tcp_port_secure>9440</tcp_port_secure>
    -->
    <interserver_http_port>9009</interserver_http_port>
    <!-- <listen_host>::</listen_host> -->
    <path>/var/lib/clickhouse/</path>
    <tmp_path>/var/lib/clickhouse/tmp/</tmp_path>
    <user_files_path>/var/lib/clickhouse/user_files/</user_files_path>
    <users_config>users.xml</users_config>
    <remote_servers incl="clickhouse_remote_servers" >
        <test_shard_localhost><shard><replica><host>localhost</host><port>9000</port></replica></shard></test_shard_localhost>
    </remote_servers>
    <distributed_ddl>
        <path>/clickhouse/task_queue/ddl</path>
    </distributed_ddl>
    <format_schema_path>/var/lib/clickhouse/format_schemas/</format_schema_path>
</yandex>
`;

/** A current server's layout: <clickhouse> root, more ports, more paths, listen_host set. */
const CURRENT = `<clickhouse>
    <logger>
        <level>trace</level>
        <log>/var/log/clickhouse-server/clickhouse-server.log</log>
        <errorlog>/var/log/clickhouse-server/clickhouse-server.err.log</errorlog>
    </logger>
    <http_port>8123</http_port>
    <tcp_port>9000</tcp_port>
    <mysql_port>9004</mysql_port>
    <postgresql_port>9005</postgresql_port>
    <interserver_http_port>9009</interserver_http_port>
    <listen_host>::</listen_host>
    <listen_host>0.0.0.0</listen_host>
    <path>/var/lib/clickhouse/</path>
    <tmp_path>/var/lib/clickhouse/tmp/</tmp_path>
    <user_files_path>/var/lib/clickhouse/user_files/</user_files_path>
    <user_directories>
        <users_xml><path>users.xml</path></users_xml>
        <local_directory><path>/var/lib/clickhouse/access/</path></local_directory>
    </user_directories>
    <user_scripts_path>/var/lib/clickhouse/user_scripts/</user_scripts_path>
    <prometheus><endpoint>/metrics</endpoint><port>9363</port></prometheus>
    <users_config>/etc/clickhouse-server/users.xml</users_config>
</clickhouse>
`;

const OPTIONS: ClickHouseConfigOptions = {
  dataDir: '/run/ch/data',
  logDir: '/run/ch/logs',
  host: '127.0.0.1',
  httpPort: 18123,
  tcpPort: 19000,
};

const FIXTURES: [string, string][] = [
  ['Debian 18.16', DEBIAN_18_16],
  ['a current server', CURRENT],
];
const installed = '/etc/clickhouse-server/config.xml';
if (existsSync(installed))
  FIXTURES.push(['the installed package', readFileSync(installed, 'utf8')]);

describe.each(FIXTURES)('rewriteClickHouseConfig on %s', (_name, xml) => {
  const out = rewriteClickHouseConfig(xml, OPTIONS);

  it.each([
    [['path'], '/run/ch/data/'],
    [['tmp_path'], '/run/ch/data/tmp/'],
    [['user_files_path'], '/run/ch/data/user_files/'],
    [['format_schema_path'], '/run/ch/data/format_schemas/'],
    [['logger', 'log'], '/run/ch/logs/clickhouse-server.log'],
    [['logger', 'errorlog'], '/run/ch/logs/clickhouse-server.err.log'],
    [['logger', 'level'], 'information'],
    [['http_port'], '18123'],
    [['tcp_port'], '19000'],
    [['listen_host'], '127.0.0.1'],
    [['users_config'], 'users.xml'],
  ])('sets %j to %s', (path, value) => {
    expect(getXmlElement(out, path)).toBe(value);
  });

  it.each([
    'interserver_http_port',
    'interserver_https_port',
    'https_port',
    'tcp_port_secure',
    'mysql_port',
    'postgresql_port',
    'grpc_port',
    'prometheus',
  ])('opens no %s', (port) => {
    expect(getXmlElement(out, [port])).toBeUndefined();
  });

  it('listens on loopback only', () => {
    expect(out.match(/<listen_host>[^<]*<\/listen_host>/g)).toEqual([
      '<listen_host>127.0.0.1</listen_host>',
    ]);
  });

  it('keeps nothing under the system folders', () => {
    expect(out).not.toMatch(/\/var\/lib\/clickhouse|\/var\/log\/clickhouse-server/);
  });

  it('keeps paths that are not folders of this server (ZooKeeper, relative) as they were', () => {
    if (xml.includes('<distributed_ddl>')) {
      expect(getXmlElement(out, ['distributed_ddl', 'path'])).toBe('/clickhouse/task_queue/ddl');
    }
    if (xml.includes('<user_directories>')) {
      expect(getXmlElement(out, ['user_directories', 'users_xml', 'path'])).toBe('users.xml');
      expect(getXmlElement(out, ['user_directories', 'local_directory', 'path'])).toBe(
        '/run/ch/data/access/',
      );
    }
  });

  it('is stable: rewriting its own output changes nothing', () => {
    expect(rewriteClickHouseConfig(out, OPTIONS)).toBe(out);
  });
});

describe('rewriteClickHouseConfig options', () => {
  it.each([
    ['/run/ch/data', '/run/ch/data/'],
    ['/run/ch/data/', '/run/ch/data/'],
    ['/with space/&amp', '/with space/&amp/'],
  ])('data folder %s becomes <path>%s</path>', (dataDir, expected) => {
    const out = rewriteClickHouseConfig(DEBIAN_18_16, { ...OPTIONS, dataDir });
    expect(getXmlElement(out, ['path'])).toBe(expected);
  });

  it('adds listen_host and the ports when the packaged file has none', () => {
    const out = rewriteClickHouseConfig('<yandex><path>/x/</path></yandex>', OPTIONS);
    expect(getXmlElement(out, ['listen_host'])).toBe('127.0.0.1');
    expect(getXmlElement(out, ['http_port'])).toBe('18123');
    expect(getXmlElement(out, ['logger', 'log'])).toBe('/run/ch/logs/clickhouse-server.log');
  });
});
