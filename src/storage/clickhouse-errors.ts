import { PathcastError, isProgrammerError, isRetriable } from '../core/index.js';

/**
 * Server error codes that describe weather, not a bad request: the same insert may succeed
 * later. From ClickHouse's ErrorCodes.cpp (stable numbers across versions).
 */
const RETRIABLE_SERVER_CODES: ReadonlySet<number> = new Set([
  159, // TIMEOUT_EXCEEDED
  164, // READONLY (a replica in read-only mode while ZooKeeper is away)
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  203, // NO_FREE_CONNECTION
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  241, // MEMORY_LIMIT_EXCEEDED
  242, // TABLE_IS_READ_ONLY
  252, // TOO_MANY_PARTS
  285, // TOO_FEW_LIVE_REPLICAS
  319, // UNKNOWN_STATUS_OF_INSERT
  394, // QUERY_WAS_CANCELLED (server shutting down)
  425, // SYSTEM_ERROR
  999, // KEEPER_EXCEPTION
]);

/**
 * The numeric ClickHouse error code, if the error carries one. @clickhouse/client parses the
 * current `Code: N. DB::Exception: ... (TYPE)` shape into `code`; 18.16 answers
 * `Code: N, e.displayText() = DB::Exception: ...` with no `(TYPE)`, which the client leaves as
 * a plain Error, so the message is read too.
 */
export function clickHouseErrorCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
  const message = (error as { message?: unknown }).message;
  if (typeof message !== 'string') return undefined;
  const match = /^Code: (\d+)[,.]/.exec(message);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * Whether retrying the same request may help: connection-level failures (refused, reset, timed
 * out), the client's own request timeout, and the server codes above. A syntax error, an unknown
 * column or a type mismatch is a bug or bad data: retrying it would only stall the writer.
 */
export function isRetriableClickHouseError(error: unknown): boolean {
  if (isProgrammerError(error)) return false;
  if (error instanceof PathcastError) return error.retriable;
  if (isRetriable(error)) return true;
  const code = clickHouseErrorCode(error);
  if (code !== undefined) return RETRIABLE_SERVER_CODES.has(code);
  if (!(error instanceof Error)) return false;
  const cause = (error as { cause?: unknown }).cause;
  if (cause !== undefined && cause !== error && isRetriableClickHouseError(cause)) return true;
  // @clickhouse/client: "Timeout error." when request_timeout passes; "socket hang up" when the
  // server closes the connection mid-request (e.g. while it shuts down).
  return /^Timeout error\.|socket hang up|ECONNRESET|ECONNREFUSED|other side closed/i.test(
    error.message,
  );
}

/** Wraps an engine failure in our hierarchy, keeping the cause and the retriable verdict. */
export function clickHouseFailure(code: string, what: string, error: unknown): PathcastError {
  const message = error instanceof Error ? error.message : String(error);
  return new PathcastError(code, `${what}: ${message.slice(0, 2000)}`, {
    cause: error,
    retriable: isRetriableClickHouseError(error),
    details: { clickhouseCode: clickHouseErrorCode(error) },
  });
}
