import type { Logger } from '../../../core/index.js';
import type { PartitionLag } from '../event-log.js';
import type { MemoryTopic, RetentionFloor } from './memory-topic.js';

/** What the group needs from a member during a rebalance. */
export interface GroupMember {
  readonly id: string;
  /** Stops deliveries, waits for the batch in flight, then calls onRevoked / onLost. */
  giveUpAll(mode: 'revoked' | 'lost'): Promise<void>;
  /** Takes the partitions at the given start offsets and calls onAssigned. */
  takeOver(partitions: readonly number[]): Promise<void>;
}

/**
 * Round-robin assignment by join order: member i gets every partition p with p % n == i. Pure,
 * so the split is easy to test; kafkajs's default assigner is round-robin too.
 */
export function assignRoundRobin(partitions: number, members: number): number[][] {
  const assignment: number[][] = Array.from({ length: members }, () => []);
  if (members === 0) return assignment;
  for (let p = 0; p < partitions; p++) assignment[p % members]!.push(p);
  return assignment;
}

/**
 * A consumer group on one topic of the in-memory log: members, committed offsets, and
 * rebalances run one at a time in the order of the classic Kafka protocol — every member gives
 * up all its partitions (and the batch in flight finishes) before any member is given its new
 * set, so a partition never has two owners at once.
 */
export class MemoryGroup implements RetentionFloor {
  readonly name: string;
  private readonly topic: MemoryTopic;
  private readonly logger: Logger;
  private members: GroupMember[] = [];
  private readonly committed: Array<number | undefined>;
  // Where the group first started on a partition it never committed: it holds the records
  // from there, and a member taking the partition over starts there again (at-least-once).
  private readonly origin: Array<number | undefined>;
  private chain: Promise<void> = Promise.resolve();
  private generationCount = 0;

  constructor(topic: MemoryTopic, name: string, logger: Logger) {
    this.topic = topic;
    this.name = name;
    this.logger = logger;
    this.committed = new Array<number | undefined>(topic.partitions.length).fill(undefined);
    this.origin = new Array<number | undefined>(topic.partitions.length).fill(undefined);
    topic.addFloor(this);
  }

  /** Rebalances completed so far. */
  get generation(): number {
    return this.generationCount;
  }

  join(member: GroupMember): Promise<void> {
    return this.enqueue(async () => {
      this.members.push(member);
      await this.rebalance(undefined);
    });
  }

  /** Removes a member: `revoked` asks it to flush first, `lost` tells it after the fact. */
  leave(member: GroupMember, mode: 'revoked' | 'lost'): Promise<void> {
    return this.enqueue(async () => {
      if (!this.members.includes(member)) return;
      await this.rebalance({ member, mode });
    });
  }

  /** Where a member taking `partition` over starts. */
  startOffset(partition: number, fromBeginning: boolean): number {
    const log = this.topic.partition(partition);
    const committed = this.committed[partition];
    if (committed !== undefined) return Math.max(committed, log.startOffset);
    let origin = this.origin[partition];
    if (origin === undefined) {
      origin = fromBeginning ? log.startOffset : log.endOffset;
      this.origin[partition] = origin;
    }
    return Math.max(origin, log.startOffset);
  }

  commit(partition: number, nextOffset: number): void {
    this.committed[partition] = nextOffset;
    this.topic.release(partition);
  }

  floor(partition: number): number | undefined {
    return this.committed[partition] ?? this.origin[partition];
  }

  lag(): PartitionLag[] {
    return this.topic.partitions.map((log, partition) => {
      const committed = this.committed[partition] ?? null;
      const end = log.endOffset;
      return { partition, committed, end, lag: Math.max(0, end - (committed ?? log.startOffset)) };
    });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.chain.then(step);
    // The chain must survive a failed step; the caller still sees the failure.
    this.chain = run.catch((error: unknown) => {
      this.logger.error('log_rebalance_failed', { group: this.name, err: error });
    });
    return run;
  }

  private async rebalance(
    leaving: { readonly member: GroupMember; readonly mode: 'revoked' | 'lost' } | undefined,
  ): Promise<void> {
    await Promise.all(
      this.members.map((member) =>
        member.giveUpAll(member === leaving?.member ? leaving.mode : 'revoked'),
      ),
    );
    if (leaving !== undefined) this.members = this.members.filter((m) => m !== leaving.member);
    const assignment = assignRoundRobin(this.topic.partitions.length, this.members.length);
    this.generationCount++;
    this.logger.info('log_group_rebalanced', {
      topic: this.topic.name,
      group: this.name,
      generation: this.generationCount,
      members: this.members.map((m) => m.id),
    });
    await Promise.all(this.members.map((member, i) => member.takeOver(assignment[i] ?? [])));
  }
}
