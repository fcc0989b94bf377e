import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs no services; `integration` (*.integration.test.ts) talks to the real
// Kafka, ClickHouse and PostgreSQL that test/global-setup.ts finds or starts.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'src/**/*.test.ts',
            'test/**/*.test.ts',
            'scripts/**/*.test.ts',
            'bench/**/*.test.ts',
          ],
          exclude: ['**/*.integration.test.ts', '**/node_modules/**'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['src/**/*.integration.test.ts', 'test/**/*.integration.test.ts'],
          environment: 'node',
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          maxConcurrency: 2,
        },
      },
    ],
  },
});
