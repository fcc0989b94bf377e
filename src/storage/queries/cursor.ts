import { invalid } from './filters.js';

/**
 * Keyset pagination: the cursor is the sort key of the last row of a page, opaque to callers
 * (base64url of a JSON array). Rows written meanwhile never shift a page, unlike OFFSET.
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * Reads a cursor back, checking it has the expected shape: it comes from a client, so it is as
 * hostile as any filter.
 */
export function decodeCursor<const K extends readonly ('string' | 'number')[]>(
  cursor: string,
  shape: K,
): { [I in keyof K]: K[I] extends 'string' ? string : number } {
  let parsed: unknown;
  try {
    if (typeof cursor !== 'string' || cursor.length > 100_000) throw new Error('size');
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('cursor is not one this API returned');
  }
  const ok =
    Array.isArray(parsed) &&
    parsed.length === shape.length &&
    parsed.every((v, i) =>
      shape[i] === 'number'
        ? typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
        : typeof v === 'string',
    );
  if (!ok) throw invalid('cursor is not one this API returned');
  return parsed as { [I in keyof K]: K[I] extends 'string' ? string : number };
}
