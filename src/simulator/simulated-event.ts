/**
 * What the simulator hands to any sink (NDJSON file, HTTP collector, Kafka producer). Records
 * come out in non-decreasing `sendAt`, the moment each would reach the collector.
 */

export type RecordKind = 'event' | 'duplicate' | 'malformed';

export interface SimulatedEvent {
  readonly site: string;
  readonly writeKey: string;
  /** The sending client's address (what a collector would see as the remote address). */
  readonly ip: string;
  /** The visitor's anonymousId: with `site`, the partition key. '' when a record has none. */
  readonly visitor: string;
  readonly messageId: string;
  readonly kind: RecordKind;
  /** A Segment-format event, or the raw text of a malformed record. */
  readonly payload: Record<string, unknown> | string;
  /**
   * The record as it goes on the wire: exactly JSON.stringify(payload) (or the raw text), made
   * cheaply by the generator. Use recordText() for records from elsewhere.
   */
  readonly text?: string;
  /** When the record reaches the collector, ms since the epoch. */
  readonly sendAt: number;
}

export const LIBRARY_NAME = 'pathcast-simulator';
