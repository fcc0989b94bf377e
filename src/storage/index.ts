export {
  connectClickHouse,
  quoteIdentifier,
  CLICKHOUSE_SETTINGS,
  type ClickHouseHandle,
  type ClickHouseEngine,
} from './clickhouse.js';
