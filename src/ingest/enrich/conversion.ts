import { ConfigError, type EventType } from '../../core/index.js';

export interface ConversionOptions {
  /**
   * `track` event names that count as conversions. Matched ignoring case and `_`, `-`, space
   * differences (`order_completed` = `Order Completed`). Default: Segment's e-commerce
   * `Order Completed` and `Signed Up`.
   */
  readonly events?: readonly string[];
  /** ISO 4217 code for revenue sent without a (valid) currency. Default `USD`. */
  readonly defaultCurrency?: string;
}

export interface ConversionConfig {
  /** Normalised event names. */
  readonly events: ReadonlySet<string>;
  readonly defaultCurrency: string;
}

export interface ConversionInfo {
  readonly isConversion: boolean;
  /** Revenue of a conversion (never negative, never NaN or infinite); 0 otherwise. */
  readonly revenue: number;
  /** Upper-case ISO 4217 code of a conversion; '' for other events. */
  readonly currency: string;
}

export interface ConversionStep {
  evaluate(
    type: EventType,
    name: string,
    properties: Readonly<Record<string, unknown>>,
  ): ConversionInfo;
}

export const DEFAULT_CONVERSION_EVENTS: readonly string[] = ['Order Completed', 'Signed Up'];
export const DEFAULT_CURRENCY = 'USD';

/** Segment's revenue fields, most specific first: revenue, then order total, then value. */
const REVENUE_FIELDS = ['revenue', 'total', 'value'] as const;
const CURRENCY = /^[A-Z]{3}$/;
/** Plain decimal numbers only: no hex (`0x1F`), no `Infinity`, no thousands separators. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
const NAME_SEPARATORS = /[\s_-]+/g;
/** Longer than any sensible event name; longer ones are not worth normalising. */
const MAX_NAME_LENGTH = 200;

const NOT_A_CONVERSION: ConversionInfo = Object.freeze({
  isConversion: false,
  revenue: 0,
  currency: '',
});

export function resolveConversionConfig(options: ConversionOptions = {}): ConversionConfig {
  const names = options.events ?? DEFAULT_CONVERSION_EVENTS;
  if (!Array.isArray(names)) {
    throw new ConfigError('conversion.events', 'must be an array of event names');
  }
  const events = new Set<string>();
  names.forEach((name: unknown, index) => {
    if (typeof name !== 'string' || normaliseEventName(name) === '') {
      throw new ConfigError(`conversion.events[${index}]`, 'must be a non-empty event name');
    }
    events.add(normaliseEventName(name));
  });
  const currency = options.defaultCurrency ?? DEFAULT_CURRENCY;
  const defaultCurrency = typeof currency === 'string' ? currency.trim().toUpperCase() : '';
  if (!CURRENCY.test(defaultCurrency)) {
    throw new ConfigError(
      'conversion.defaultCurrency',
      `must be a 3-letter ISO 4217 code, got ${String(currency)}`,
    );
  }
  return { events, defaultCurrency };
}

/** Whether an event is a conversion, and what it was worth. */
export function createConversionStep(options: ConversionOptions = {}): ConversionStep {
  const { events, defaultCurrency } = resolveConversionConfig(options);
  return {
    evaluate(type, name, properties): ConversionInfo {
      if (
        type !== 'track' ||
        name.length > MAX_NAME_LENGTH ||
        !events.has(normaliseEventName(name))
      ) {
        return NOT_A_CONVERSION;
      }
      return {
        isConversion: true,
        revenue: revenueOf(properties),
        currency: currencyOf(properties['currency']) ?? defaultCurrency,
      };
    },
  };
}

export function normaliseEventName(name: string): string {
  return name.replace(NAME_SEPARATORS, ' ').trim().toLowerCase();
}

/**
 * The first revenue field holding a number (or a numeric string) decides; a negative, NaN or
 * infinite amount counts as 0 rather than falling through to a less specific field.
 */
function revenueOf(properties: Readonly<Record<string, unknown>>): number {
  for (const field of REVENUE_FIELDS) {
    const amount = amountOf(properties[field]);
    if (amount !== null) return Number.isFinite(amount) && amount > 0 ? amount : 0;
  }
  return 0;
}

function amountOf(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  return text.length <= 64 && DECIMAL.test(text) ? Number(text) : null;
}

function currencyOf(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const code = value.trim().toUpperCase();
  return CURRENCY.test(code) ? code : null;
}
