/**
 * Continuous load on a collector for fault tests: workers send numbered events in small batches
 * until stopped, and every answer is kept with its timing, so a test can check afterwards that
 * each acknowledged event is in the log and that no 2xx came while the log was down.
 */
import { Agent } from 'node:http';
import { basicAuth, field, post } from './http-client.js';

export interface Attempt {
  /** messageIds of the batch, in order. */
  readonly ids: readonly string[];
  /** HTTP status, or 0 when no answer came (connection refused or reset, timeout). */
  readonly status: number;
  readonly code: unknown;
  readonly retryAfter: string | undefined;
  readonly error: string | undefined;
  /** performance.now() when the request was sent and when its answer (or error) came. */
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface LoadOptions {
  readonly url: string;
  readonly writeKey: string;
  /** Prefix of every messageId; ids are `${prefix}-${n}` with n counting from 0. */
  readonly prefix: string;
  readonly workers: number;
  readonly batchSize: number;
  /** Visitors the events are spread over (keys, so partitions, differ). */
  readonly visitors?: number;
}

export interface Load {
  /** Answers so far, in the order they came. */
  readonly attempts: readonly Attempt[];
  /** Every messageId sent so far (answered or not). */
  sent(): readonly string[];
  /** Stops sending; resolves once the requests in flight are answered. */
  stop(): Promise<void>;
}

export function startLoad(options: LoadOptions): Load {
  const agent = new Agent({ keepAlive: true, maxSockets: options.workers });
  const attempts: Attempt[] = [];
  const sent: string[] = [];
  const visitors = options.visitors ?? 50;
  let next = 0;
  let stopped = false;

  const worker = async (): Promise<void> => {
    while (!stopped) {
      const ids: string[] = [];
      const batch = [];
      for (let i = 0; i < options.batchSize; i++) {
        const n = next++;
        const messageId = `${options.prefix}-${n}`;
        ids.push(messageId);
        batch.push({
          type: 'track',
          event: 'Load Event',
          messageId,
          anonymousId: `visitor-${n % visitors}`,
          properties: { n },
        });
      }
      sent.push(...ids);
      const startedAt = performance.now();
      try {
        const answer = await post(
          `${options.url}/v1/batch`,
          { batch },
          { agent, headers: { authorization: basicAuth(options.writeKey) }, timeoutMs: 20_000 },
        );
        const retryAfter = answer.headers['retry-after'];
        attempts.push({
          ids,
          status: answer.status,
          code: field(answer, 'code'),
          retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined,
          error: undefined,
          startedAt,
          endedAt: performance.now(),
        });
      } catch (error) {
        attempts.push({
          ids,
          status: 0,
          code: undefined,
          retryAfter: undefined,
          error: (error as Error).message,
          startedAt,
          endedAt: performance.now(),
        });
      }
    }
  };

  const running = Array.from({ length: options.workers }, () => worker());
  let stopping: Promise<void> | undefined;
  return {
    attempts,
    sent: () => sent,
    stop() {
      stopping ??= (async () => {
        stopped = true;
        await Promise.all(running);
        agent.destroy();
      })();
      return stopping;
    },
  };
}
