/** Something whose async work must run one piece at a time (a partition, the trainer role). */
export interface Serial {
  chain: Promise<void>;
}

/**
 * Runs `work` after everything queued on `holder` before it. The chain goes on after a failure;
 * the failure itself is returned to the caller.
 */
export function serially(holder: Serial, work: () => Promise<void>): Promise<void> {
  const next = holder.chain.then(work);
  holder.chain = next.then(
    () => undefined,
    () => undefined,
  );
  return next;
}
