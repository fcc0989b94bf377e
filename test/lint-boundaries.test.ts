import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The import-direction rule of DESIGN.md, checked through ESLint itself on snippets placed in
// each module, so a change to eslint.config.js that weakens it fails here.
const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedImports(filePath: string, specifier: string): Promise<string[]> {
  const code = `import * as m from '${specifier}';\nexport const x = m;\n`;
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((message) => message.ruleId === 'no-restricted-imports')
    .map((message) => message.message);
}

describe('module import direction', () => {
  it.each([
    ['src/core/x.ts', '../config/index.js'],
    ['src/config/x.ts', '../ingest/index.js'],
    ['src/ingest/x.ts', '../sessionizer/index.js'],
    ['src/ingest/enrich/x.ts', '../../storage/index.js'],
    ['src/sessionizer/x.ts', '../crm/index.js'],
    ['src/markov-online/x.ts', '../scoring/index.js'],
    ['src/scoring/x.ts', '../storage/index.js'],
    ['src/crm/x.ts', '../runtime/index.js'],
    ['src/storage/x.ts', '../gateway/index.js'],
    ['src/runtime/x.ts', '../gateway/index.js'],
    ['src/batch/x.ts', '../gateway/index.js'],
  ])('%s may not import %s', async (file, specifier) => {
    const messages = await restrictedImports(file, specifier);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('DESIGN.md');
  });

  it.each([
    ['src/config/x.ts', '../core/index.js'],
    ['src/ingest/log/x.ts', '../../core/index.js'],
    ['src/sessionizer/x.ts', '../ingest/index.js'],
    ['src/scoring/x.ts', '../crm/index.js'],
    ['src/scoring/x.ts', '../markov-online/index.js'],
    ['src/storage/x.ts', '../scoring/index.js'],
    ['src/runtime/x.ts', '../storage/index.js'],
    ['src/gateway/x.ts', '../runtime/index.js'],
    ['src/cli/x.ts', '../gateway/index.js'],
    ['src/ingest/x.ts', './enrich/index.js'],
  ])('%s may import %s', async (file, specifier) => {
    expect(await restrictedImports(file, specifier)).toEqual([]);
  });

  it('forbids deep imports into another module', async () => {
    const messages = await restrictedImports('src/ingest/x.ts', '../core/errors.js');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('index.js');
  });
});
