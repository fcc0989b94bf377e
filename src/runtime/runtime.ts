import {
  LifecycleGuard,
  collectProcessMetrics,
  type Lifecycle,
  type Logger,
} from '../core/index.js';
import type { Config } from '../config/index.js';
import { connectClickHouse, type ClickHouseHandle } from '../storage/index.js';

export interface RuntimeDeps {
  readonly logger: Logger;
}

/** What is running, for the start-up banner and /readyz. */
export interface RuntimeStatus {
  readonly log: 'embedded' | 'kafka';
  readonly history: 'embedded' | 'server';
  readonly historyLocation: string;
}

/**
 * The composition root: wires transports, pipeline and sinks from configuration.
 * Later issues add the event log, sessionizer, models and gateway here; the shape stays
 * start()/close(), with close() flushing in reverse order of start.
 */
export class Runtime implements Lifecycle {
  private readonly config: Config;
  private readonly logger: Logger;
  private readonly guard: LifecycleGuard;
  private clickhouse: ClickHouseHandle | undefined;

  constructor(config: Config, deps: RuntimeDeps) {
    this.config = config;
    this.logger = deps.logger;
    this.guard = new LifecycleGuard(
      'runtime',
      () => this.onStart(),
      () => this.onClose(),
    );
  }

  start(): Promise<void> {
    return this.guard.start();
  }

  close(): Promise<void> {
    return this.guard.close();
  }

  status(): RuntimeStatus {
    this.guard.assertRunning();
    return this.describe();
  }

  private describe(): RuntimeStatus {
    const ch = this.clickhouse;
    return {
      log: this.config.kafka.brokers.length > 0 ? 'kafka' : 'embedded',
      history: ch?.engine ?? 'embedded',
      historyLocation:
        ch?.engine === 'server' ? (this.config.clickhouse.url ?? '') : (ch?.path ?? ''),
    };
  }

  private async onStart(): Promise<void> {
    collectProcessMetrics();
    this.clickhouse = await connectClickHouse(this.config.clickhouse, this.config.runtime.dataDir);
    this.logger.info('runtime_started', { ...this.describe() });
  }

  private async onClose(): Promise<void> {
    const ch = this.clickhouse;
    this.clickhouse = undefined;
    if (ch !== undefined) await ch.close();
    this.logger.info('runtime_closed');
  }
}
