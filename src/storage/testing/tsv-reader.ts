/**
 * Test support: reads TabSeparated bytes back the way ClickHouse does for the escapes the
 * writer emits (\\ \t \n \r \0 and \N for NULL), so tests can check what a row would store.
 * Array cells are literals that ClickHouse parses as they are (no TSV unescaping): name their
 * indexes in `rawCells` to get their text untouched.
 */

/** One decoded row: a cell is the unescaped text, or null for \N. */
export type TsvCells = (string | null)[];

export function readTsv(
  body: Buffer | readonly Buffer[],
  rawCells: ReadonlySet<number> = new Set(),
): TsvCells[] {
  const text = (Buffer.isBuffer(body) ? body : Buffer.concat(body)).toString('utf8');
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new Error('TSV body does not end with a newline');
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) =>
      line
        .split('\t')
        .map((field, i) =>
          rawCells.has(i) ? field : field === '\\N' ? null : unescapeField(field),
        ),
    );
}

function unescapeField(field: string): string {
  return field.replace(/\\(.)/gs, (_m, ch: string) =>
    ch === 't' ? '\t' : ch === 'n' ? '\n' : ch === 'r' ? '\r' : ch === '0' ? '\0' : ch,
  );
}
