/**
 * A batch request's `context` merged under one event's own (the event's fields win), as the
 * Segment HTTP API reads a batch. Events that are not objects are left alone (validation
 * refuses them). Shared by the collector and by the processor reading a batch record.
 */
export function mergeBatchContext(
  event: unknown,
  context: Readonly<Record<string, unknown>>,
): void {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return;
  const fields = event as Record<string, unknown>;
  const own = fields['context'];
  fields['context'] =
    typeof own === 'object' && own !== null && !Array.isArray(own)
      ? { ...context, ...(own as Record<string, unknown>) }
      : { ...context };
}
