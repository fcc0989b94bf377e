/** Names of the log's topics, from one prefix (PATHCAST_KAFKA_TOPIC_PREFIX). */
export interface TopicNames {
  /** Accepted raw events (envelopes), keyed by (site, visitor). */
  readonly events: string;
  /** Failed events with their reasons, keyed by site. */
  readonly failedEvents: string;
  /** Live scores for the gateways' websockets. */
  readonly scores: string;
  /** Partition checkpoints of the processors (compacted). */
  readonly checkpoints: string;
  /** CRM profile updates (compacted). */
  readonly crmProfiles: string;
  /** Labelled sessions and Markov count deltas for the trainer role (one partition). */
  readonly modelInputs: string;
  /** The trainer role's model snapshots with the input offset they cover (compacted). */
  readonly models: string;
}

export function topicNames(prefix: string): TopicNames {
  return {
    events: `${prefix}.events`,
    failedEvents: `${prefix}.failed-events`,
    scores: `${prefix}.scores`,
    checkpoints: `${prefix}.checkpoints`,
    crmProfiles: `${prefix}.crm-profiles`,
    modelInputs: `${prefix}.model-inputs`,
    models: `${prefix}.models`,
  };
}
