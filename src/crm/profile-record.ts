import type { Profile } from '../core/index.js';
import {
  MAX_ATTRIBUTES,
  MAX_ATTRIBUTE_NAME_CHARS,
  MAX_ATTRIBUTE_VALUE_CHARS,
  MAX_SEGMENT_CHARS,
  MAX_USER_ID_CHARS,
  checkText,
  parseCount,
  parseDecimal,
  parseEmail,
  parseEmailHash,
  parseFlag,
  parseInstant,
  scalarText,
  type ValueIssueCode,
  type ValueResult,
} from './profile-values.js';

/** The Profile fields a file column (or a JSON key) can fill; anything else is an attribute. */
export const PROFILE_FIELDS = [
  'userId',
  'email',
  'emailHash',
  'segment',
  'lifetimeValue',
  'orders',
  'firstOrderAt',
  'lastOrderAt',
  'tenureDays',
  'churned',
  'updatedAt',
  'attributes',
] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];

/** `user_id`, `userId`, `User ID` and `user-id` all name the same field. */
const FIELD_BY_KEY: ReadonlyMap<string, ProfileField> = new Map(
  PROFILE_FIELDS.map((field) => [field.toLowerCase(), field]),
);

/** The field a column name stands for, or undefined for a custom attribute. */
export function profileField(column: string): ProfileField | undefined {
  return FIELD_BY_KEY.get(
    column
      .trim()
      .toLowerCase()
      .replace(/[\s_-]+/g, ''),
  );
}

export type ProfileIssueCode =
  | ValueIssueCode
  | 'missing_user_id'
  | 'field_count'
  | 'malformed_csv'
  | 'malformed_json'
  | 'not_an_object'
  | 'duplicate_user_id';

/** What is wrong with one field of one row. `field` is the column as the file wrote it. */
export interface FieldIssue {
  readonly field: string | null;
  readonly code: ProfileIssueCode;
  readonly reason: string;
}

export type ProfileParse =
  | { readonly ok: true; readonly profile: Profile }
  | { readonly ok: false; readonly issue: FieldIssue };

/** A raw value and the column (or key) it came from, for messages. */
export interface RawValue {
  readonly column: string;
  readonly value: unknown;
}

/** One row before validation: known fields, and the other columns as attributes in order. */
export interface ProfileInput {
  readonly fields: Partial<Record<ProfileField, RawValue>>;
  readonly attributes: ReadonlyArray<readonly [string, unknown]>;
}

/**
 * Validates one row into a Profile, or names the first bad field. Pure; `now` is the updatedAt
 * of rows without an updated_at column (the import time). Empty attribute values are left out:
 * a CSV cannot tell "empty" from "absent", and an absent attribute is what a join expects.
 */
export function buildProfile(input: ProfileInput, now: number): ProfileParse {
  const { fields } = input;
  const userIdRaw = fields.userId;
  if (userIdRaw === undefined || isEmpty(userIdRaw.value)) {
    return issue(userIdRaw?.column ?? 'user_id', 'missing_user_id', 'the user id is empty');
  }
  const userIdText = scalarText(userIdRaw.value);
  if (!userIdText.ok) return issueOf(userIdRaw.column, userIdText);
  const userId = checkText(userIdText.value.trim(), MAX_USER_ID_CHARS);
  if (!userId.ok) return issueOf(userIdRaw.column, userId);

  // A raw email wins over a given hash: it is the fresher fact, and both mean the same thing.
  const email =
    fields.email !== undefined && !isEmpty(fields.email.value)
      ? { column: fields.email.column, result: parseEmail(fields.email.value) }
      : {
          column: fields.emailHash?.column ?? 'email_hash',
          result: parseEmailHash(fields.emailHash?.value),
        };
  if (!email.result.ok) return issueOf(email.column, email.result);

  const segmentText = fields.segment === undefined ? ok('') : scalarOrBlank(fields.segment.value);
  if (!segmentText.ok) return issueOf(column(fields.segment, 'segment'), segmentText);
  const segment = checkText(segmentText.value.trim(), MAX_SEGMENT_CHARS);
  if (!segment.ok) return issueOf(column(fields.segment, 'segment'), segment);

  const lifetimeValue = parseDecimal(fields.lifetimeValue?.value, 0);
  if (!lifetimeValue.ok)
    return issueOf(column(fields.lifetimeValue, 'lifetime_value'), lifetimeValue);
  const orders = parseCount(fields.orders?.value);
  if (!orders.ok) return issueOf(column(fields.orders, 'orders'), orders);
  const firstOrderAt = parseInstant(fields.firstOrderAt?.value);
  if (!firstOrderAt.ok) return issueOf(column(fields.firstOrderAt, 'first_order_at'), firstOrderAt);
  const lastOrderAt = parseInstant(fields.lastOrderAt?.value);
  if (!lastOrderAt.ok) return issueOf(column(fields.lastOrderAt, 'last_order_at'), lastOrderAt);
  if (
    firstOrderAt.value !== null &&
    lastOrderAt.value !== null &&
    lastOrderAt.value < firstOrderAt.value
  ) {
    return issue(
      column(fields.lastOrderAt, 'last_order_at'),
      'invalid_value',
      'is before the first order',
    );
  }
  const tenureDays = parseCount(fields.tenureDays?.value);
  if (!tenureDays.ok) return issueOf(column(fields.tenureDays, 'tenure_days'), tenureDays);
  const churned = parseFlag(fields.churned?.value);
  if (!churned.ok) return issueOf(column(fields.churned, 'churned'), churned);
  const updatedAt = parseInstant(fields.updatedAt?.value);
  if (!updatedAt.ok) return issueOf(column(fields.updatedAt, 'updated_at'), updatedAt);

  const attributes = buildAttributes(input);
  if (!attributes.ok) return { ok: false, issue: attributes.issue };

  return {
    ok: true,
    profile: {
      userId: userId.value,
      emailHash: email.result.value,
      segment: segment.value,
      lifetimeValue: lifetimeValue.value,
      orders: orders.value,
      firstOrderAt: firstOrderAt.value,
      lastOrderAt: lastOrderAt.value,
      tenureDays: tenureDays.value,
      churned: churned.value,
      attributes: attributes.value,
      updatedAt: updatedAt.value ?? now,
    },
  };
}

type AttributesParse =
  | { readonly ok: true; readonly value: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly issue: FieldIssue };

function buildAttributes(input: ProfileInput): AttributesParse {
  const entries = new Map<string, string>();
  const nested = input.fields.attributes;
  if (nested !== undefined && !isEmpty(nested.value)) {
    const value = nestedObject(nested.value);
    if (value === undefined) {
      return {
        ok: false,
        issue: {
          field: nested.column,
          code: 'invalid_value',
          reason: 'expected an object of text values (in a CSV: JSON text such as {"plan":"pro"})',
        },
      };
    }
    for (const [name, item] of Object.entries(value)) {
      const added = addAttribute(entries, name, item, `${nested.column}.${name}`);
      if (added !== undefined) return { ok: false, issue: added };
    }
  }
  for (const [name, item] of input.attributes) {
    const added = addAttribute(entries, name, item, name);
    if (added !== undefined) return { ok: false, issue: added };
  }
  if (entries.size > MAX_ATTRIBUTES) {
    return {
      ok: false,
      issue: {
        field: null,
        code: 'too_long',
        reason: `has ${entries.size} attributes; the limit is ${MAX_ATTRIBUTES}`,
      },
    };
  }
  // NOTE: fromEntries defines own properties, so a "__proto__" column is kept as data and never
  // reaches the prototype.
  return { ok: true, value: Object.fromEntries(entries) };
}

/** The nested attributes: an object, or (from a CSV cell) JSON text of one. */
function nestedObject(value: unknown): Readonly<Record<string, unknown>> | undefined {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value) as unknown;
    } catch {
      return undefined;
    }
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
    ? (parsed as Readonly<Record<string, unknown>>)
    : undefined;
}

function addAttribute(
  entries: Map<string, string>,
  rawName: string,
  value: unknown,
  column: string,
): FieldIssue | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const name = checkText(rawName.trim(), MAX_ATTRIBUTE_NAME_CHARS);
  if (!name.ok) return { field: column, code: name.code, reason: `attribute name ${name.reason}` };
  if (name.value === '')
    return { field: column, code: 'invalid_value', reason: 'attribute name is empty' };
  const text = scalarText(value);
  if (!text.ok) return { field: column, code: text.code, reason: text.reason };
  const checked = checkText(text.value, MAX_ATTRIBUTE_VALUE_CHARS);
  if (!checked.ok) return { field: column, code: checked.code, reason: checked.reason };
  entries.set(name.value, checked.value);
  return undefined;
}

function ok<T>(value: T): ValueResult<T> {
  return { ok: true, value };
}

function scalarOrBlank(value: unknown): ValueResult<string> {
  return value === null || value === undefined ? ok('') : scalarText(value);
}

function isEmpty(value: unknown): boolean {
  return (
    value === null || value === undefined || (typeof value === 'string' && value.trim() === '')
  );
}

function column(raw: RawValue | undefined, fallback: string): string {
  return raw?.column ?? fallback;
}

function issue(field: string, code: ProfileIssueCode, reason: string): ProfileParse {
  return { ok: false, issue: { field, code, reason } };
}

function issueOf(
  field: string,
  result: { readonly code: ValueIssueCode; readonly reason: string },
): ProfileParse {
  return issue(field, result.code, result.reason);
}

/**
 * A JSON object (an NDJSON line, a Kafka record value) as a row: known keys fill fields, the
 * nested `attributes` object and every other key become attributes.
 */
export function inputFromObject(
  object: Readonly<Record<string, unknown>>,
):
  | { readonly ok: true; readonly input: ProfileInput }
  | { readonly ok: false; readonly issue: FieldIssue } {
  const fields: Partial<Record<ProfileField, RawValue>> = {};
  const attributes: Array<readonly [string, unknown]> = [];
  for (const [key, value] of Object.entries(object)) {
    const field = profileField(key);
    if (field === undefined) {
      attributes.push([key, value]);
      continue;
    }
    const earlier = fields[field];
    if (earlier !== undefined) {
      return {
        ok: false,
        issue: {
          field: key,
          code: 'invalid_value',
          reason: `names the same field as "${earlier.column}"; keep one of them`,
        },
      };
    }
    fields[field] = { column: key, value };
  }
  return { ok: true, input: { fields, attributes } };
}
