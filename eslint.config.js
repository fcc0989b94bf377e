// Lint rules, including the import direction between modules (DESIGN.md):
// core <- config <- ingest <- sessionizer <- markov-online <- scoring, crm <- scoring.
// Domain modules never import storage, runtime, batch or gateway; nothing but the CLI imports
// gateway; across modules only a module's index.js may be imported.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const MODULES = [
  'core',
  'config',
  'ingest',
  'crm',
  'sessionizer',
  'markov-online',
  'scoring',
  'storage',
  'runtime',
  'batch',
  'gateway',
  'simulator',
  'cli',
];

/** What each module may import (besides itself). */
const ALLOWED = {
  core: [],
  config: ['core'],
  ingest: ['core', 'config'],
  crm: ['core', 'config'],
  simulator: ['core', 'config', 'ingest'],
  sessionizer: ['core', 'config', 'ingest'],
  'markov-online': ['core', 'config', 'ingest', 'sessionizer'],
  scoring: ['core', 'config', 'ingest', 'sessionizer', 'markov-online', 'crm'],
  storage: ['core', 'config', 'ingest', 'sessionizer', 'markov-online', 'scoring', 'crm'],
  runtime: [
    'core',
    'config',
    'ingest',
    'crm',
    'sessionizer',
    'markov-online',
    'scoring',
    'storage',
    'simulator',
  ],
  batch: [
    'core',
    'config',
    'ingest',
    'crm',
    'sessionizer',
    'markov-online',
    'scoring',
    'storage',
    'runtime',
    'simulator',
  ],
  gateway: [
    'core',
    'config',
    'ingest',
    'crm',
    'sessionizer',
    'markov-online',
    'scoring',
    'storage',
    'runtime',
    'batch',
  ],
  cli: MODULES.filter((m) => m !== 'cli'),
};

// Module names hold only letters and '-', which needs no escape outside a class (and may not
// be escaped under the `u` flag ESLint uses).
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function boundaryRule(mod) {
  const forbidden = MODULES.filter((m) => m !== mod && !ALLOWED[mod].includes(m));
  const allowed = ALLOWED[mod];
  const patterns = [];
  if (forbidden.length > 0) {
    patterns.push({
      regex: `^(\\.\\./)+(${forbidden.map(esc).join('|')})(/|$)`,
      message:
        allowed.length > 0
          ? `src/${mod} may import only ${allowed.join(', ')} (DESIGN.md: direction of imports).`
          : `src/${mod} may not import other modules (DESIGN.md: direction of imports).`,
    });
  }
  if (allowed.length > 0) {
    patterns.push({
      regex: `^(\\.\\./)+(${allowed.map(esc).join('|')})/(?!index\\.js$).+`,
      message: 'Import another module only through its index.js (no deep imports across modules).',
    });
  }
  return {
    files: [`src/${mod}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns }] },
  };
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', 'bench/results/**', 'web/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    // The only reader of process.env is src/config (tests and scripts may read their own).
    files: ['src/**/*.ts'],
    ignores: ['src/config/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through src/config.' },
      ],
    },
  },
  ...MODULES.map(boundaryRule),
  {
    // The browser tracker is plain ES5-style JavaScript served as is.
    files: ['src/gateway/tracker/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        window: 'readonly',
        document: 'readonly',
        navigator: 'readonly',
        location: 'readonly',
        history: 'readonly',
        screen: 'readonly',
        fetch: 'readonly',
        Blob: 'readonly',
      },
    },
    rules: { 'no-var': 'off', 'no-empty': 'off', 'prefer-rest-params': 'off' },
  },
  {
    files: ['src/cli/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts', 'bin/**/*.js', 'test/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
