/**
 * Real processor processes for the recovery tests (test/support/recovery-processor.ts): start,
 * wait until they own partitions, SIGKILL or stop them, and read what they logged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type kafkajs from 'kafkajs';
import type { ProcessorSpec } from './recovery-spec.js';

const ENTRY = fileURLToPath(new URL('./recovery-processor.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Log text kept per process, for failure messages. */
const KEEP_LOG_CHARS = 200_000;

/** A log line of a processor, parsed (pino JSON). */
export type LogLine = Record<string, unknown>;

/** Events a test looks for in the processors' logs. */
const WATCHED = ['partition_restored', 'checkpoint_slot_invalid'];

const running = new Set<ChildProcess>();
// A test that fails or times out must not leave processors behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class ProcessorProcess {
  readonly name: string;
  /** The watched log events, in order. */
  readonly events: LogLine[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private readonly lines: string[] = [];
  private log = '';
  private waiters: Array<() => void> = [];

  private constructor(spec: ProcessorSpec) {
    this.name = spec.name;
    this.child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
      cwd: ROOT,
      env: { ...process.env, RECOVERY_PROCESSOR_SPEC: JSON.stringify(spec) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(this.child);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', () => {
        running.delete(this.child);
        this.wake();
        resolve();
      }),
    );
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.lines.push(line);
      this.wake();
    });
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.log = (this.log + line + '\n').slice(-KEEP_LOG_CHARS);
      if (WATCHED.some((event) => line.includes(`"${event}"`))) {
        try {
          this.events.push(JSON.parse(line) as LogLine);
        } catch {
          // not a JSON log line (a crash trace): kept in the text only
        }
      }
    });
  }

  static start(spec: ProcessorSpec): ProcessorProcess {
    return new ProcessorProcess(spec);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first stdout line starting with `prefix`; fails if the process exits. */
  async line(prefix: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find((line) => line.startsWith(prefix));
      if (found !== undefined) return found;
      if (!this.alive) throw new Error(`${this.name} exited before "${prefix}":\n${this.tail()}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`${this.name}: no "${prefix}" in ${timeoutMs} ms:\n${this.tail()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** kill -9: no shutdown, no flush. Resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM: the processor revokes its partitions (checkpoint, commit) and exits. */
  async stop(timeoutMs = 60_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    if (this.child.exitCode !== 0) {
      throw new Error(
        `${this.name} stopped with ${this.child.exitCode ?? this.child.signalCode}:\n${this.tail()}`,
      );
    }
  }

  tail(chars = 4_000): string {
    return this.log.slice(-chars);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** The consumer group's committed offsets against the topic's end, summed over partitions. */
export interface GroupProgress {
  readonly committed: number;
  readonly end: number;
}

export async function groupProgress(
  admin: kafkajs.Admin,
  group: string,
  topic: string,
): Promise<GroupProgress> {
  const [committed, ends] = await Promise.all([
    admin.fetchOffsets({ groupId: group, topics: [topic] }),
    admin.fetchTopicOffsets(topic),
  ]);
  const byPartition = new Map<number, number>();
  for (const entry of committed.find((t) => t.topic === topic)?.partitions ?? []) {
    byPartition.set(entry.partition, Math.max(0, Number(entry.offset)));
  }
  return {
    committed: ends.reduce((sum, p) => sum + (byPartition.get(p.partition) ?? 0), 0),
    end: ends.reduce((sum, p) => sum + Number(p.high), 0),
  };
}
