import type { Score } from '../../core/index.js';
import { TABLES } from '../schema/table-names.js';
import { cellsOf } from './cells.js';
import { defineTable } from './define-table.js';
import { utcMonth } from './values.js';

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

const c = cellsOf<ScoreRecord>();

export const SCORES_SPEC = defineTable(
  TABLES.scores,
  {
    site: c.text((s) => s.site),
    visitor: c.text((s) => s.visitor),
    session_id: c.text((s) => s.sessionId),
    at: c.uint((s) => s.at),
    propensity: c.float((s) => s.propensity),
    markov_probability: c.float((s) => s.markovProbability),
    'next_pages.page_type': c.textArray((s) => s.nextPages.map((p) => p.pageType)),
    'next_pages.probability': c.floatArray((s) => s.nextPages.map((p) => p.probability)),
    model_version: c.text((s) => s.modelVersion),
    channel: c.text((s) => s.channel ?? ''),
    country: c.text((s) => s.country ?? ''),
    device_type: c.text((s) => s.deviceType ?? ''),
  },
  { partitionOf: (s) => utcMonth(s.at) },
);

export const SCORE_COLUMNS = SCORES_SPEC.columns;

export type ScoreColumn = (typeof SCORE_COLUMNS)[number];

/** The stored row of a score, as an object. */
export const scoreRow = (s: ScoreRecord): Readonly<Record<ScoreColumn, unknown>> =>
  SCORES_SPEC.toRow(s);
