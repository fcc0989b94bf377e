import { describe, expect, it } from 'vitest';
import {
  escapeXmlText,
  getXmlElement,
  removeXmlElements,
  setXmlElement,
  stripXmlComments,
} from './xml-config.js';

const DOC = `<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>/var/log/a.log</log>
    </logger>
    <!-- <listen_host>::</listen_host> -->
    <path>/var/lib/clickhouse/</path>
    <remote_servers incl="clickhouse_remote_servers" note="a > b">
        <shard><replica><port>9000</port></replica></shard>
    </remote_servers>
    <distributed_ddl>
        <path>/clickhouse/task_queue/ddl</path>
    </distributed_ddl>
    <empty/>
</yandex>
`;

describe('setXmlElement', () => {
  it.each([
    { what: 'a top-level element', path: ['path'], value: '/data/', expected: '/data/' },
    {
      what: 'a nested element',
      path: ['logger', 'level'],
      value: 'information',
      expected: 'information',
    },
    { what: 'a self-closing element', path: ['empty'], value: 'x', expected: 'x' },
    {
      what: 'a missing element under the root',
      path: ['http_port'],
      value: '18123',
      expected: '18123',
    },
    {
      what: 'a missing element under an existing parent',
      path: ['logger', 'count'],
      value: '3',
      expected: '3',
    },
    { what: 'a missing chain', path: ['a', 'b', 'c'], value: 'deep', expected: 'deep' },
    { what: 'text needing escapes', path: ['path'], value: '/x & <y>/', expected: '/x & <y>/' },
  ])('sets $what', ({ path, value, expected }) => {
    const out = setXmlElement(DOC, path, value);
    expect(getXmlElement(out, path)).toBe(expected);
  });

  it('leaves an element of the same name elsewhere in the tree alone', () => {
    const out = setXmlElement(DOC, ['path'], '/data/');
    expect(getXmlElement(out, ['distributed_ddl', 'path'])).toBe('/clickhouse/task_queue/ddl');
    expect(out).toContain('<path>/clickhouse/task_queue/ddl</path>');
  });

  it('changes nothing but the element text', () => {
    const out = setXmlElement(DOC, ['path'], '/data/');
    expect(out).toBe(DOC.replace('<path>/var/lib/clickhouse/</path>', '<path>/data/</path>'));
  });

  it('appends created elements before the closing tag of their parent, indented', () => {
    const out = setXmlElement(DOC, ['logger', 'count'], '3');
    expect(out).toContain('<log>/var/log/a.log</log>\n        <count>3</count>\n    </logger>');
  });

  it('escapes the value in the file', () => {
    expect(setXmlElement(DOC, ['path'], 'a&b<c>')).toContain('<path>a&amp;b&lt;c&gt;</path>');
  });

  it('does not see elements inside comments', () => {
    const out = setXmlElement(DOC, ['listen_host'], '127.0.0.1');
    expect(out).toContain('<!-- <listen_host>::</listen_host> -->');
    expect(out.match(/<listen_host>127\.0\.0\.1<\/listen_host>/g)).toHaveLength(1);
  });

  it.each([
    { what: 'an unclosed element', xml: '<a><b></a>' },
    { what: 'a stray closing tag', xml: '<a></b></a>' },
    { what: 'no root', xml: '<?xml version="1.0"?>' },
  ])('throws on $what', ({ xml }) => {
    expect(() => setXmlElement(xml, ['x'], '1')).toThrow(/malformed XML/);
  });

  it('refuses an empty path', () => {
    expect(() => setXmlElement(DOC, [], '1')).toThrow(/empty path/);
  });
});

describe('removeXmlElements', () => {
  it.each([
    { path: ['path'], gone: '<path>/var/lib/clickhouse/</path>' },
    { path: ['remote_servers'], gone: '<remote_servers' },
    { path: ['logger', 'level'], gone: '<level>' },
    { path: ['empty'], gone: '<empty/>' },
  ])('removes $path', ({ path, gone }) => {
    const out = removeXmlElements(DOC, path);
    expect(out).not.toContain(gone);
    expect(getXmlElement(out, path)).toBeUndefined();
  });

  it('removes only the addressed level', () => {
    const out = removeXmlElements(DOC, ['path']);
    expect(getXmlElement(out, ['distributed_ddl', 'path'])).toBe('/clickhouse/task_queue/ddl');
  });

  it('is a no-op when nothing matches', () => {
    expect(removeXmlElements(DOC, ['mysql_port'])).toBe(DOC);
  });
});

describe('stripXmlComments', () => {
  it.each([
    { xml: '<a><!-- x --><b/></a>', expected: '<a><b/></a>' },
    { xml: '<a><!-- <b>1</b> --></a>', expected: '<a></a>' },
    // Debian's config nests "<!- -" look-alikes inside a comment; they must not end it early.
    { xml: '<a><!-- one <!- - two - -> three --><b/></a>', expected: '<a><b/></a>' },
    { xml: '<a>\n  <!-- x -->  \n\n\n\n<b/></a>', expected: '<a>\n\n<b/></a>' },
  ])('$xml', ({ xml, expected }) => {
    expect(stripXmlComments(xml)).toBe(expected);
  });
});

describe('escapeXmlText', () => {
  it.each([
    ['plain', 'plain'],
    ['a&b', 'a&amp;b'],
    ['<tag>', '&lt;tag&gt;'],
    ['&amp;', '&amp;amp;'],
  ])('%s', (input, expected) => {
    expect(escapeXmlText(input)).toBe(expected);
  });
});
