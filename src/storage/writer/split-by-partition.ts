/**
 * Splits a batch so that no insert touches more than `maxPartitions` partitions. Current
 * ClickHouse (and so chdb) refuses an insert into more than `max_partitions_per_insert_block`
 * (100) partitions, and 18.16 does not know that setting, so we cannot just raise it: a batch of
 * events from a hundred different months (a hostile or broken sender) would otherwise fail on
 * every retry and stall the writer. The usual batch has one or two partitions and is returned
 * as it is.
 *
 * `partitions[i]` is the partition of `lines[i]`; undefined for an unpartitioned table.
 */
export function splitByPartition<L>(
  lines: readonly L[],
  partitions: ArrayLike<number> | undefined,
  maxPartitions: number,
): L[][] {
  if (partitions === undefined || lines.length === 0) return [[...lines]];
  const groups = new Map<number, L[]>();
  lines.forEach((line, i) => {
    const key = partitions[i] as number;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [line]);
    else group.push(line);
  });
  if (groups.size <= maxPartitions) return [[...lines]];
  const chunks: L[][] = [];
  let chunk: L[] = [];
  let count = 0;
  for (const group of groups.values()) {
    if (count === maxPartitions) {
      chunks.push(chunk);
      chunk = [];
      count = 0;
    }
    chunk.push(...group);
    count += 1;
  }
  chunks.push(chunk);
  return chunks;
}
