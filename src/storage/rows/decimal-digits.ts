/** Decimal digits written straight into bytes (TsvBuffer's integer cells). */

const DIGIT_0 = 48;

const TEN_TO_8 = 100_000_000;

/**
 * Writes the decimal digits of a non-negative safe integer at `at`; returns the end.
 * TRICKY: split into two parts below 10^8, so the digit loops run on small integers (ms times
 * are 13 digits, past int32) without a string per number.
 */
export function writeDigits(b: Buffer, at: number, value: number): number {
  if (value < TEN_TO_8) return writeSmall(b, at, value, 0);
  const high = Math.floor(value / TEN_TO_8);
  const end = writeDigits(b, at, high);
  return writeSmall(b, end, value - high * TEN_TO_8, 8);
}

/** Digits of 0 <= value < 10^8, left-padded with zeros to `width`. */
function writeSmall(b: Buffer, at: number, value: number, width: number): number {
  let digits = 1;
  for (let x = value; x >= 10; x = (x / 10) | 0) digits++;
  if (digits < width) digits = width;
  let p = at + digits;
  const end = p;
  let x = value;
  while (p > at) {
    const q = (x / 10) | 0;
    b[--p] = DIGIT_0 + (x - q * 10);
    x = q;
  }
  return end;
}
