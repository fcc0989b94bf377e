import type { SolveStats, SolverSettings } from './absorption-solver.js';
import { MarkovChain } from './markov-chain.js';
import type { Journey } from './path-file.js';

/**
 * Multi-touch attribution of aggregated journeys: the Markov removal-effect model of Anderl,
 * Becker, von Wangenheim and Schumann (2016) as ChannelAttribution's `markov_model` does it, but
 * solved exactly on the chain instead of by simulation, plus its three heuristics.
 *
 * Decisions, checked against the package's C++ (`markov_model_cpp`, `heuristic_models_cpp`):
 *
 * - Paths: repeated consecutive channels are collapsed in the chain (`a > a > b` is start -> a
 *   -> b), as the package does; at order k a state is the last k channels (see path-states.ts
 *   for why our prefix states give the package's numbers). Heuristics see the raw path, repeats
 *   included, as the package's do.
 * - Without null paths (the package's default, `var_null` absent) the chain is built from
 *   converting journeys only, weighted by conversions: every path ends in conversion, so
 *   P(conversion) = 1 and a removal effect is the share of converting flow that must pass
 *   through the channel. With nulls, transitions weigh conversions + nulls and the last state
 *   also goes to null.
 * - Removal effect of c = 1 - P(conv | c removed) / P(conv); removing c sends every transition
 *   into a state containing c to null. The package estimates the same quantity as the share of
 *   simulated converting paths that visit c (equal in expectation: a path converts with c
 *   removed exactly when it converts without visiting c), so the exact solve differs only by
 *   its simulation noise and its cap on simulated path length (paths longer than the longest
 *   observed one count as null there).
 * - Conversions: total_conversions * RE_c / sum RE.
 * - Value: the package does not scale value by the conversion removal effects. Each simulated
 *   conversion carries a value drawn from the per-conversion values of journeys that ended in
 *   the same last state, and value is split by the value those conversions brought. In
 *   expectation that is a value removal effect, 1 - E[value | c removed] / E[value], with
 *   E[value] solved on the same chain with reward P(s -> conv) * mean value per conversion
 *   ending at s; value_c = total_value * REv_c / sum REv. When every conversion is worth the
 *   same, the two splits coincide; `value_removal_effect` is printed beside `removal_effect`.
 * - Counts may be fractional (the package truncates them to integers).
 */

export interface AttributionOptions {
  /** Markov order, 1 to 3. */
  readonly order: number;
  /** Use total_null (non-converting journeys) in the chain. */
  readonly withNull: boolean;
  /** Solver settings; defaults aim at exact (1e-14) answers on small chains. */
  readonly solver?: Partial<SolverSettings>;
}

export interface Credit {
  readonly conversions: number;
  readonly value: number;
}

export interface MarkovCredit extends Credit {
  readonly removal_effect: number;
  readonly value_removal_effect: number;
}

/** The JSON the `pathcast attribution` command prints (snake_case: it is a wire format). */
export interface AttributionReport {
  readonly markov: Readonly<Record<string, MarkovCredit>>;
  readonly first: Readonly<Record<string, Credit>>;
  readonly last: Readonly<Record<string, Credit>>;
  readonly linear: Readonly<Record<string, Credit>>;
}

export interface Attribution {
  readonly report: AttributionReport;
  /** How the full-chain solve went (removal solves use the same settings). */
  readonly solve: SolveStats;
  /** P(conversion) from start on the full chain. */
  readonly conversionProbability: number;
}

const EXACT: SolverSettings = { tolerance: 1e-14, maxIterations: 200_000 };

export function attribute(journeys: readonly Journey[], options: AttributionOptions): Attribution {
  const channels = channelsInOrder(journeys);
  const chain = new MarkovChain({
    order: options.order,
    collapseRepeats: true,
  });
  let totalConversions = 0;
  let totalValue = 0;
  for (const journey of journeys) {
    totalConversions += journey.conversions;
    totalValue += journey.value;
    chain.addPath(journey.channels, {
      conversions: journey.conversions,
      nulls: options.withNull ? journey.nulls : 0,
      value: journey.value,
    });
  }
  const snapshot = chain.solve({ ...EXACT, ...options.solver });
  const effects = new Map(snapshot.removalEffects().map((e) => [e.item, e]));
  let sumEffect = 0;
  let sumValueEffect = 0;
  for (const e of effects.values()) {
    sumEffect += e.removalEffect;
    sumValueEffect += e.valueRemovalEffect;
  }
  const markov = channels.map((channel): [string, MarkovCredit] => {
    const e = effects.get(channel);
    const re = e?.removalEffect ?? 0;
    const rev = e?.valueRemovalEffect ?? 0;
    return [
      channel,
      {
        removal_effect: re,
        value_removal_effect: rev,
        conversions: sumEffect > 0 ? (totalConversions * re) / sumEffect : 0,
        value: sumValueEffect > 0 ? (totalValue * rev) / sumValueEffect : 0,
      },
    ];
  });
  const heuristics = heuristicAttribution(journeys, channels);
  return {
    report: { markov: Object.fromEntries(markov), ...heuristics },
    solve: snapshot.stats,
    conversionProbability: snapshot.conversionProbability(0) ?? 0,
  };
}

/**
 * First touch, last touch and linear, as the package computes them: the first and the last
 * channel of the raw path take all; linear gives each occurrence 1/length, so a channel seen
 * twice in a path of three gets 2/3.
 */
export function heuristicAttribution(
  journeys: readonly Journey[],
  channels: readonly string[] = channelsInOrder(journeys),
): Pick<AttributionReport, 'first' | 'last' | 'linear'> {
  const zero = (): Map<string, { conversions: number; value: number }> =>
    new Map(channels.map((c) => [c, { conversions: 0, value: 0 }]));
  const first = zero();
  const last = zero();
  const linear = zero();
  const credit = (table: typeof first, channel: string, share: number, journey: Journey): void => {
    const entry = table.get(channel);
    if (entry === undefined) return;
    entry.conversions += journey.conversions * share;
    entry.value += journey.value * share;
  };
  for (const journey of journeys) {
    const path = journey.channels;
    if (path.length === 0) continue;
    credit(first, path[0] as string, 1, journey);
    credit(last, path[path.length - 1] as string, 1, journey);
    for (const channel of path) credit(linear, channel, 1 / path.length, journey);
  }
  return {
    first: Object.fromEntries(first),
    last: Object.fromEntries(last),
    linear: Object.fromEntries(linear),
  };
}

/** Channels in order of first appearance, the package's output order. */
export function channelsInOrder(journeys: readonly Journey[]): string[] {
  const seen = new Set<string>();
  for (const journey of journeys) for (const channel of journey.channels) seen.add(channel);
  return [...seen];
}
