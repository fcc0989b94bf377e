import type { Score } from '../../core/index.js';
import { TABLES } from '../schema/table-names.js';
import type { TableSpec } from './table-spec.js';
import { float, text, uint, utcMonth } from './values.js';

/**
 * A score as stored: the live Score plus the session's dimensions, so the per-minute aggregates
 * can average propensity by channel, country and device. The scorer knows the session when it
 * scores; when it passes no dimensions they are stored as ''.
 */
export interface ScoreRecord extends Score {
  readonly channel?: string;
  readonly country?: string;
  readonly deviceType?: string;
}

export const SCORE_COLUMNS = [
  'site',
  'visitor',
  'session_id',
  'at',
  'propensity',
  'markov_probability',
  'next_pages.page_type',
  'next_pages.probability',
  'model_version',
  'channel',
  'country',
  'device_type',
] as const;

export type ScoreColumn = (typeof SCORE_COLUMNS)[number];

export function scoreRow(s: ScoreRecord): Record<ScoreColumn, unknown> {
  return {
    site: text(s.site),
    visitor: text(s.visitor),
    session_id: text(s.sessionId),
    at: uint(s.at),
    propensity: float(s.propensity),
    markov_probability: float(s.markovProbability),
    'next_pages.page_type': s.nextPages.map((p) => text(p.pageType)),
    'next_pages.probability': s.nextPages.map((p) => float(p.probability)),
    model_version: text(s.modelVersion),
    channel: text(s.channel ?? ''),
    country: text(s.country ?? ''),
    device_type: text(s.deviceType ?? ''),
  };
}

export const SCORES_SPEC: TableSpec<ScoreRecord> = {
  table: TABLES.scores,
  columns: SCORE_COLUMNS,
  toRow: scoreRow,
  partitionOf: (row) => utcMonth(row['at'] as number),
};
