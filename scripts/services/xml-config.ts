/**
 * Just enough XML editing for ClickHouse's config files: set or remove elements addressed by
 * their path below the root element, leaving the rest of the text as it was. Not a general XML
 * parser (none is among our dependencies, and the config files are plain elements).
 */

interface ElementSpan {
  /** Names from the root element down, root included. */
  readonly path: readonly string[];
  readonly start: number;
  readonly end: number;
  readonly innerStart: number;
  readonly innerEnd: number;
  readonly selfClosing: boolean;
}

// Comments, CDATA, processing instructions and doctype are skipped; tags may carry quoted
// attributes (`<remote_servers incl="...">`) that contain '>'.
const TOKEN =
  /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>|<(\/?)([A-Za-z_][\w.:-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>/g;

function scanElements(xml: string): ElementSpan[] {
  const spans: ElementSpan[] = [];
  const stack: { name: string; start: number; innerStart: number }[] = [];
  for (const match of xml.matchAll(TOKEN)) {
    const [token, closing, name, , selfClosing] = match;
    if (name === undefined) continue;
    const at = match.index;
    if (closing === '/') {
      const open = stack.pop();
      if (open === undefined || open.name !== name) {
        throw new Error(`malformed XML: unexpected </${name}> at offset ${at}`);
      }
      spans.push({
        path: [...stack.map((s) => s.name), name],
        start: open.start,
        end: at + token.length,
        innerStart: open.innerStart,
        innerEnd: at,
        selfClosing: false,
      });
    } else if (selfClosing === '/') {
      const end = at + token.length;
      spans.push({
        path: [...stack.map((s) => s.name), name],
        start: at,
        end,
        innerStart: end,
        innerEnd: end,
        selfClosing: true,
      });
    } else {
      stack.push({ name, start: at, innerStart: at + token.length });
    }
  }
  if (stack.length > 0) throw new Error(`malformed XML: <${stack.at(-1)?.name}> is never closed`);
  return spans;
}

function matches(span: ElementSpan, path: readonly string[]): boolean {
  return span.path.length === path.length + 1 && path.every((name, i) => span.path[i + 1] === name);
}

function findRoot(spans: readonly ElementSpan[]): ElementSpan {
  const root = spans.find((s) => s.path.length === 1);
  if (root === undefined) throw new Error('malformed XML: no root element');
  return root;
}

export function escapeXmlText(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Removes every comment, so commented-out examples cannot be mistaken for settings. */
export function stripXmlComments(xml: string): string {
  return tidyXmlWhitespace(xml.replace(/<!--[\s\S]*?-->/g, ''));
}

/** Drops trailing blanks and collapses runs of empty lines (left by removed elements). */
export function tidyXmlWhitespace(xml: string): string {
  return xml.replace(/[ \t]+$/gm, '').replace(/\n{3,}/g, '\n\n');
}

/** Splices edits (non-overlapping, any order) into `text`. */
function splice(text: string, edits: { start: number; end: number; text: string }[]): string {
  let out = text;
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) {
    out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  }
  return out;
}

/**
 * Sets the text of every element at `path` (below the root) to `value`; if there is none, creates
 * it, and any missing parents, at the end of the nearest existing ancestor.
 */
export function setXmlElement(xml: string, path: readonly string[], value: string): string {
  if (path.length === 0) throw new Error('setXmlElement: empty path');
  const spans = scanElements(xml);
  const text = escapeXmlText(value);
  const targets = spans.filter((s) => matches(s, path));
  if (targets.length > 0) {
    return splice(
      xml,
      targets.map((s) => {
        const name = path.at(-1) as string;
        return s.selfClosing
          ? { start: s.start, end: s.end, text: `<${name}>${text}</${name}>` }
          : { start: s.innerStart, end: s.innerEnd, text };
      }),
    );
  }
  // Deepest existing ancestor, then build the rest of the chain inside it.
  let depth = path.length - 1;
  let parent: ElementSpan | undefined;
  while (depth > 0) {
    parent = spans.find((s) => matches(s, path.slice(0, depth)) && !s.selfClosing);
    if (parent !== undefined) break;
    depth -= 1;
  }
  parent ??= findRoot(spans);
  if (parent.selfClosing)
    throw new Error(`cannot add <${path.join('/')}> to a self-closing parent`);
  const created = path
    .slice(depth)
    .reduceRight((inner, name) => `<${name}>${inner}</${name}>`, text);
  // Appended after the parent's last child, indented four spaces a level like the stock files.
  const contentEnd =
    parent.innerStart + xml.slice(parent.innerStart, parent.innerEnd).trimEnd().length;
  const insertion = `\n${'    '.repeat(depth + 1)}${created}\n${'    '.repeat(depth)}`;
  return splice(xml, [{ start: contentEnd, end: parent.innerEnd, text: insertion }]);
}

/** Removes every element at `path` (below the root), with the whitespace before it. */
export function removeXmlElements(xml: string, path: readonly string[]): string {
  const targets = scanElements(xml).filter((s) => matches(s, path));
  return splice(
    xml,
    targets.map((s) => {
      const leading = /[ \t]*\n?[ \t]*$/.exec(xml.slice(0, s.start))?.[0].length ?? 0;
      return { start: s.start - leading, end: s.end, text: '' };
    }),
  );
}

/** The text of the first element at `path` (below the root), unescaped, or undefined. */
export function getXmlElement(xml: string, path: readonly string[]): string | undefined {
  const span = scanElements(xml).find((s) => matches(s, path));
  if (span === undefined) return undefined;
  return xml
    .slice(span.innerStart, span.innerEnd)
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}
