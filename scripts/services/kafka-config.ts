/** Pure builders for the files a one-node KRaft Kafka needs (unit-tested, no I/O). */

export const KAFKA_VERSION = '3.9.2';
export const SCALA_VERSION = '2.13';
/** The SLF4J 1.7 binding Kafka 3.9's slf4j-api (1.7.36) expects, and the log4j 1.2 it drives. */
export const SLF4J_RELOAD4J_VERSION = '1.7.36';
export const RELOAD4J_VERSION = '1.2.25';
/** Pinned so a fresh machine resolves the same plugin (Maven 3.8's default is 2.8, from 2013). */
export const DEPENDENCY_PLUGIN_VERSION = '3.8.1';

export interface KafkaServerOptions {
  readonly host: string;
  readonly brokerPort: number;
  readonly controllerPort: number;
  readonly logDir: string;
  readonly nodeId?: number;
}

/** server.properties for a combined broker + controller that behaves like a test cluster of one. */
export function kafkaServerProperties(options: KafkaServerOptions): string {
  const nodeId = options.nodeId ?? 1;
  const broker = `${options.host}:${options.brokerPort}`;
  const controller = `${options.host}:${options.controllerPort}`;
  const settings: [string, string | number | boolean][] = [
    ['process.roles', 'broker,controller'],
    ['node.id', nodeId],
    ['controller.quorum.voters', `${nodeId}@${controller}`],
    ['listeners', `PLAINTEXT://${broker},CONTROLLER://${controller}`],
    ['advertised.listeners', `PLAINTEXT://${broker}`],
    ['controller.listener.names', 'CONTROLLER'],
    ['inter.broker.listener.name', 'PLAINTEXT'],
    ['listener.security.protocol.map', 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT'],
    ['log.dirs', options.logDir],
    ['num.partitions', 1],
    // One broker: internal topics cannot have more replicas than brokers.
    ['offsets.topic.replication.factor', 1],
    ['offsets.topic.num.partitions', 1],
    ['transaction.state.log.replication.factor', 1],
    ['transaction.state.log.min.isr', 1],
    ['transaction.state.log.num.partitions', 1],
    // Tests start consumers and expect assignments at once, not after the default 3 s wait.
    ['group.initial.rebalance.delay.ms', 0],
    // Tests and Pathcast create their topics explicitly, with the partition count they need.
    ['auto.create.topics.enable', false],
  ];
  return `${settings.map(([key, value]) => `${key}=${escapePropertyValue(String(value))}`).join('\n')}\n`;
}

/** Escapes a value for a Java .properties file (backslashes, and leading blanks). */
export function escapePropertyValue(value: string): string {
  return value
    .replaceAll('\\', '\\\\')
    .replaceAll('\n', '\\n')
    .replaceAll('\r', '\\r')
    .replace(/^[ \t]/, (c) => `\\${c}`);
}

/** log4j 1.2 configuration (reload4j): everything into one size-capped file. */
export function kafkaLog4jProperties(logFile: string): string {
  return [
    'log4j.rootLogger=INFO, file',
    'log4j.appender.file=org.apache.log4j.RollingFileAppender',
    `log4j.appender.file.File=${escapePropertyValue(logFile)}`,
    'log4j.appender.file.MaxFileSize=50MB',
    'log4j.appender.file.MaxBackupIndex=2',
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    // Per-request and state-change chatter would drown the lines that explain a failure.
    'log4j.logger.kafka.request.logger=WARN',
    'log4j.logger.kafka.network.RequestChannel$=WARN',
    'log4j.logger.state.change.logger=WARN',
    'log4j.logger.kafka.log.LogCleaner=WARN',
    '',
  ].join('\n');
}

/**
 * A pom whose only job is to let `mvn dependency:copy-dependencies` fetch the Kafka broker with
 * its runtime dependencies and a logging backend into one folder.
 */
export function kafkaPom(): string {
  const dependency = (groupId: string, artifactId: string, version: string): string =>
    `    <dependency>\n      <groupId>${groupId}</groupId>\n      <artifactId>${artifactId}</artifactId>\n      <version>${version}</version>\n    </dependency>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>pathcast.services</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>${KAFKA_VERSION}</version>
  <packaging>pom</packaging>
  <dependencies>
${dependency('org.apache.kafka', `kafka_${SCALA_VERSION}`, KAFKA_VERSION)}
${dependency('org.slf4j', 'slf4j-reload4j', SLF4J_RELOAD4J_VERSION)}
${dependency('ch.qos.reload4j', 'reload4j', RELOAD4J_VERSION)}
  </dependencies>
  <build>
    <pluginManagement>
      <plugins>
        <plugin>
          <groupId>org.apache.maven.plugins</groupId>
          <artifactId>maven-dependency-plugin</artifactId>
          <version>${DEPENDENCY_PLUGIN_VERSION}</version>
        </plugin>
      </plugins>
    </pluginManagement>
  </build>
</project>
`;
}

/** A KRaft cluster id: 16 random bytes, base64url without padding (what `random-uuid` prints). */
export function kafkaClusterId(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new Error('a Kafka cluster id is 16 bytes');
  return Buffer.from(bytes).toString('base64url');
}
