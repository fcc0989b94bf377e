import { read, type ResultRow } from './run-query.js';

/** Figures of a segment, over closed sessions (by start time) and scores (by score time). */
export interface Kpis {
  readonly sessions: number;
  /** Distinct visitors (approximate past ~65k, exact below). */
  readonly visitors: number;
  readonly convertedSessions: number;
  /** Conversion events in those sessions. */
  readonly conversions: number;
  readonly revenue: number;
  /** convertedSessions / sessions; 0 without sessions. */
  readonly conversionRate: number;
  readonly scores: number;
  /** Mean propensity of the scores; null without scores. */
  readonly averagePropensity: number | null;
}

export function readKpis(row: ResultRow | undefined): Kpis {
  if (row === undefined) {
    return {
      sessions: 0,
      visitors: 0,
      convertedSessions: 0,
      conversions: 0,
      revenue: 0,
      conversionRate: 0,
      scores: 0,
      averagePropensity: null,
    };
  }
  const sessions = read.number(row, 'sessions');
  const convertedSessions = read.number(row, 'converted_sessions');
  const scores = read.number(row, 'scores');
  return {
    sessions,
    visitors: read.number(row, 'visitors'),
    convertedSessions,
    conversions: read.number(row, 'conversions'),
    revenue: read.number(row, 'revenue'),
    conversionRate: sessions === 0 ? 0 : convertedSessions / sessions,
    scores,
    averagePropensity: scores === 0 ? null : read.number(row, 'propensity_sum') / scores,
  };
}
