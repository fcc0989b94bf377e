import { inject } from 'vitest';

/** Addresses of the real services, as test/global-setup.ts hands them to the test workers. */
export interface ServiceAddresses {
  /** Comma-separated host:port list, as in PATHCAST_TEST_KAFKA_BROKERS. */
  readonly kafkaBrokers: string;
  readonly clickhouseUrl: string;
  readonly postgresUrl: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    pathcastServices: ServiceAddresses;
  }
}

export interface TestServices {
  readonly kafkaBrokers: string[];
  readonly clickhouseUrl: string;
  readonly postgresUrl: string;
}

/**
 * The services an integration test talks to. Throws if global setup did not run (e.g. the file
 * was run by the `unit` project): a test must not quietly fall back to something else.
 */
export function testServices(): TestServices {
  const provided = inject('pathcastServices');
  if (provided === undefined) {
    throw new Error(
      'no service addresses: run integration tests with `vitest run --project integration`',
    );
  }
  return {
    kafkaBrokers: provided.kafkaBrokers.split(',').map((b) => b.trim()),
    clickhouseUrl: provided.clickhouseUrl,
    postgresUrl: provided.postgresUrl,
  };
}
