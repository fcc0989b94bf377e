import type { Admin } from 'kafkajs';
import type { PartitionLag } from '../event-log.js';

/** What kafkajs's admin answers: committed offsets ('-1' = none) and the partitions' ends. */
export interface GroupOffsets {
  readonly committed: ReadonlyArray<{ readonly partition: number; readonly offset: string }>;
  readonly ends: ReadonlyArray<{
    readonly partition: number;
    readonly high: string;
    readonly low: string;
  }>;
}

/** Lag per partition, ascending: after the committed offset, or after the log start if none. Pure. */
export function partitionLag(offsets: GroupOffsets): PartitionLag[] {
  const committed = new Map<number, number>();
  for (const entry of offsets.committed) {
    const offset = Number(entry.offset);
    if (Number.isSafeInteger(offset) && offset >= 0) committed.set(entry.partition, offset);
  }
  return offsets.ends
    .map(({ partition, high, low }) => {
      const end = Number(high);
      const at = committed.get(partition) ?? null;
      return { partition, committed: at, end, lag: Math.max(0, end - (at ?? Number(low))) };
    })
    .sort((a, b) => a.partition - b.partition);
}

export async function fetchGroupOffsets(
  admin: Admin,
  group: string,
  topic: string,
): Promise<GroupOffsets> {
  const [committed, ends] = await Promise.all([
    admin.fetchOffsets({ groupId: group, topics: [topic] }),
    admin.fetchTopicOffsets(topic),
  ]);
  return {
    committed: committed.filter((t) => t.topic === topic).flatMap((t) => t.partitions),
    ends,
  };
}
