import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtModule from 'wabt';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../core/index.js';
import { createJsonScanner, scanModuleBytes, SCAN_MAX_BYTES } from './json-scan.js';

const scanner = createJsonScanner();

/** What the scan must find, byte by byte. */
function reference(body: Uint8Array) {
  const quotes: number[] = [];
  let ascii = true;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i]!;
    if (byte < 0x20 || byte === 0x5c) return undefined;
    if (byte >= 0x80) ascii = false;
    if (byte === 0x22) quotes.push(i);
  }
  return { quotes, ascii };
}

function scanned(body: Uint8Array) {
  if (scanner === undefined) throw new Error('no WebAssembly SIMD');
  if (!scanner.scan(body)) return undefined;
  return {
    quotes: Array.from(scanner.quotes.subarray(0, scanner.quoteCount)),
    ascii: scanner.ascii,
  };
}

describe('JSON scan', () => {
  it('is json-scan.wat, assembled', async () => {
    const wabt = await wabtModule();
    const source = readFileSync(fileURLToPath(new URL('./json-scan.wat', import.meta.url)), 'utf8');
    const assembled = wabt.parseWat('json-scan.wat', source, { simd: true });
    expect(Buffer.from(assembled.toBinary({}).buffer)).toEqual(Buffer.from(scanModuleBytes()));
    assembled.destroy();
  });

  it('runs here (Node 20 has WebAssembly SIMD)', () => {
    expect(scanner).toBeDefined();
  });

  it('finds every quote and refuses control bytes and backslashes, at every length and offset', () => {
    const random = mulberry32(11);
    // Mostly plain bytes, with quotes, the refused bytes and non-ASCII among them.
    const alphabet = [0x7b, 0x61, 0x20, 0x3a, 0x7e, 0x22, 0x22, 0x1f, 0x00, 0x5c, 0x80, 0xc3, 0xff];
    let refused = 0;
    let nonAscii = 0;
    for (let round = 0; round < 4_000; round++) {
      const length = round < 200 ? round : Math.floor(random() * 600);
      const body = Buffer.alloc(length, 0x61);
      const changes = Math.floor(random() * 4);
      for (let c = 0; c < changes && length > 0; c++) {
        const byte = alphabet[Math.floor(random() * alphabet.length)]!;
        body[Math.floor(random() * length)] = byte;
      }
      const expected = reference(body);
      expect(scanned(body), body.toString('hex')).toEqual(expected);
      if (expected === undefined) refused++;
      else if (!expected.ascii) nonAscii++;
    }
    expect(refused).toBeGreaterThan(500);
    expect(nonAscii).toBeGreaterThan(200);
  });

  it('takes a body of the largest size with a quote in its last byte, and pads it with a space', () => {
    const body = Buffer.alloc(SCAN_MAX_BYTES, 0x22);
    expect(scanned(body)?.quotes).toHaveLength(SCAN_MAX_BYTES);
    // A short body after it: what follows it is a space, never the longer body's bytes.
    const short = Buffer.from('{"a":1}');
    expect(scanned(short)).toEqual({ quotes: [1, 3], ascii: true });
    expect(scanner?.bytes[short.length]).toBe(0x20);
    expect(() => scanner?.scan(Buffer.alloc(SCAN_MAX_BYTES + 1, 0x61))).toThrow(RangeError);
  });
});
