import type { Clock, Logger } from '../core/index.js';
import { decodeModel, encodeModel, type ModelSnapshot } from '../scoring/index.js';
import type { StoredModel, Storage } from '../storage/index.js';

/** Kind of the live model's rows in the models table. */
export const LIVE_MODEL_KIND = 'live';

export interface ModelStoreOptions {
  /** Least time between two stored snapshots. Default 60 s; close() always stores the last. */
  readonly intervalMs?: number;
}

/** The numeric metrics of a snapshot, as the models table keeps them. */
function storedMetrics(model: ModelSnapshot): Record<string, number> {
  const out: Record<string, number> = { version: model.version };
  for (const [key, value] of Object.entries(model.metrics)) {
    if (typeof value === 'number') out[key] = value;
  }
  return out;
}

/**
 * Keeps the live model across restarts: the trainer's snapshots go to the ClickHouse models
 * table (at most one per interval, and the last one on close), and a starting runtime resumes
 * from the newest stored one, so scores are not back to 0.5 after every deploy.
 *
 * NOTE: embedded, a snapshot is not taken together with the partition checkpoints, so after a
 * crash the model may have learnt the records between the two twice, or not at all; model
 * counts are approximate across crashes, sessions and stored rows are exact. Distributed, only
 * the trainer role offers snapshots here, and the models topic (not this table) is what a new
 * trainer resumes from; this table is the fallback when that topic holds none.
 */
export class ModelStore {
  private readonly storage: Storage;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly intervalMs: number;
  private lastSavedAt = Number.NEGATIVE_INFINITY;
  private latest: ModelSnapshot | undefined;
  private savedVersion = -1;
  private readonly writes = new Set<Promise<void>>();

  constructor(
    storage: Storage,
    deps: { clock: Clock; logger: Logger },
    options: ModelStoreOptions = {},
  ) {
    this.storage = storage;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.intervalMs = options.intervalMs ?? 60_000;
  }

  /** The newest stored live model; undefined when there is none or it cannot be read. */
  async load(): Promise<ModelSnapshot | undefined> {
    let rows: StoredModel[];
    try {
      rows = await this.storage.queries.latestModels(LIVE_MODEL_KIND, 1);
    } catch (error) {
      this.logger.warn('model_load_failed', { err: error });
      return undefined;
    }
    const row = rows[0];
    if (row === undefined) return undefined;
    const decoded = decodeModel(row.snapshot);
    if (!decoded.ok) {
      // A model from an incompatible build: start afresh rather than refuse to start.
      this.logger.warn('model_not_resumed', {
        version: row.version,
        code: decoded.code,
        reason: decoded.reason,
      });
      return undefined;
    }
    this.savedVersion = decoded.value.version;
    this.logger.info('model_resumed', { version: row.version });
    return decoded.value;
  }

  /** Called with every published snapshot; stores it when the interval has passed. */
  offer(model: ModelSnapshot): void {
    this.latest = model;
    if (this.clock.now() - this.lastSavedAt >= this.intervalMs) this.save(model);
  }

  /** Stores the newest snapshot if it was not stored yet, and waits for every write. */
  async close(): Promise<void> {
    if (this.latest !== undefined && this.latest.version !== this.savedVersion) {
      this.save(this.latest);
    }
    await Promise.all([...this.writes]);
  }

  private save(model: ModelSnapshot): void {
    if (model.version === this.savedVersion) return;
    this.lastSavedAt = this.clock.now();
    this.savedVersion = model.version;
    const row: StoredModel = {
      kind: LIVE_MODEL_KIND,
      version: model.id,
      createdAt: this.clock.now(),
      metrics: storedMetrics(model),
      snapshot: encodeModel(model),
    };
    const write = this.storage.writers.models
      .write([row])
      .catch((error: unknown) => this.logger.warn('model_store_failed', { err: error }))
      .finally(() => this.writes.delete(write));
    this.writes.add(write);
  }
}
