/** Number formatting for a laptop-sized dashboard: short, and the same everywhere. */

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const money = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

export function count(n: number): string {
  return Math.abs(n) >= 100_000 ? compact.format(n) : integer.format(n);
}

export function percent(rate: number | null, digits = 1): string {
  return rate === null || !Number.isFinite(rate) ? '–' : `${(rate * 100).toFixed(digits)}%`;
}

export function amount(n: number): string {
  return Math.abs(n) >= 1_000_000 ? compact.format(n) : money.format(n);
}

export function decimal(n: number | null, digits = 3): string {
  return n === null || !Number.isFinite(n) ? '–' : n.toFixed(digits);
}

/** "12 s ago", "3 min ago". */
export function ago(ms: number, now: number = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  return s < 60 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

/** Visitor ids are long; the table shows the start and the end. */
export function shortId(id: string): string {
  return id.length <= 14 ? id : `${id.slice(0, 6)}…${id.slice(-6)}`;
}

/** Text for HTML, escaped. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
