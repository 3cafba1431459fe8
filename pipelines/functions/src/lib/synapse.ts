/**
 * Writes to the Synapse dedicated SQL pool with the app's managed identity (flow 3's loader): an Entra access token
 * for Azure SQL from the identity endpoint (src/lib/azure.ts), one TDS connection per batch through the
 * workspace's private endpoint (`<workspace>.sql.azuresynapse.net` resolves to it in the VNet; port 1433: the
 * workspace's Default connection policy proxies this driver), TLS on. Each statement commits on its own: a dedicated
 * pool has no named or nested transactions, and the driver's transaction-manager requests are not known to work
 * against it; a retried batch re-inserts what had committed, which the nightly compaction deduplicates.
 * Timeouts fit the host's 30-second function timeout (host.json): a slow login fails fast and the retry policy
 * tries again.
 */
import { Request, TYPES } from "tedious";
import type { DataType } from "tedious/lib/data-type";
import type { ParameterOptions } from "tedious/lib/request";
import type { ManagedIdentityTokens } from "./azure";
import type { SqlExecutor, SqlStatement, SqlType } from "./streamTarget";
import { CONNECT_TIMEOUT_MS, connectTds, REQUEST_TIMEOUT_MS } from "./tds";

/** The whole batch's deadline: under the host's 30-second function timeout. */
export const BATCH_DEADLINE_MS = 25_000;
/**
 * How long tedious waits for the server to confirm a timed-out statement's cancel (its default is 5 s, which could
 * take a statement cut at the deadline past the host's 30 s).
 */
export const CANCEL_TIMEOUT_MS = 2_000;

/**
 * Throws once a batch has used its deadline: the invocation fails cleanly (the retry policy re-runs the batch) instead
 * of the host's function timeout ending the worker mid-statement.
 */
export function checkDeadline(startedAt: number, now: number, statement: number, total: number): void {
  if (now - startedAt > BATCH_DEADLINE_MS)
    throw new Error(
      `batch deadline of ${BATCH_DEADLINE_MS / 1000} s passed before statement ${statement + 1} of ${total}: retried`,
    );
}

/**
 * How long the next statement may run: the connection's request timeout, cut to what is left of the batch's deadline
 * (at least 1 ms). Checked before each statement is not enough: one started at 24 s could otherwise run its whole
 * request timeout past the host's function timeout.
 */
export function statementTimeoutMs(startedAt: number, now: number): number {
  return Math.max(1, Math.min(REQUEST_TIMEOUT_MS, BATCH_DEADLINE_MS - (now - startedAt)));
}

/** tedious data type and options of a model column type. */
export function tediousType(type: SqlType): { type: DataType; options?: ParameterOptions } {
  switch (type.kind) {
    case "bigint":
      return { type: TYPES.BigInt };
    case "int":
      return { type: TYPES.Int };
    case "smallint":
      return { type: TYPES.SmallInt };
    case "tinyint":
      return { type: TYPES.TinyInt };
    case "bit":
      return { type: TYPES.Bit };
    case "date":
      return { type: TYPES.Date };
    case "datetime2":
      return { type: TYPES.DateTime2, options: { scale: type.precision } };
    case "decimal":
      return { type: TYPES.Decimal, options: { precision: type.precision, scale: type.scale } };
    case "char":
      return { type: TYPES.Char, options: { length: type.length } };
    case "varchar":
      return { type: TYPES.VarChar, options: { length: type.length } };
    case "nchar":
      return { type: TYPES.NChar, options: { length: type.length } };
    case "nvarchar":
      return { type: TYPES.NVarChar, options: { length: type.length } };
    case "binary":
    case "varbinary":
      return { type: TYPES.VarBinary, options: { length: type.length } };
    case "rowversion":
      throw new Error("a rowversion column is set by the database, never bound");
  }
}

export interface SynapseTarget {
  /** `<workspace>.sql.azuresynapse.net` */
  readonly server: string;
  /** The dedicated pool (its database name). */
  readonly database: string;
}

export class SynapseWriter implements SqlExecutor {
  constructor(
    private readonly target: SynapseTarget,
    private readonly tokens: ManagedIdentityTokens,
    private readonly now: () => number = Date.now,
  ) {}

  async run(statements: readonly SqlStatement[]): Promise<number> {
    if (!statements.length) return 0;
    const startedAt = this.now();
    const connection = await connectTds(this.target, this.tokens, {
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      cancelTimeoutMs: CANCEL_TIMEOUT_MS,
    });
    try {
      let inserted = 0;
      for (const [i, statement] of statements.entries()) {
        checkDeadline(startedAt, this.now(), i, statements.length);
        inserted += await new Promise<number>((resolve, reject) => {
          const request = new Request(statement.sql, (err, rowCount) => (err ? reject(err) : resolve(rowCount ?? 0)));
          request.setTimeout(statementTimeoutMs(startedAt, this.now()));
          for (const p of statement.parameters) {
            const t = tediousType(p.type);
            request.addParameter(p.name, t.type, p.value, t.options);
          }
          connection.execSql(request);
        });
      }
      return inserted;
    } finally {
      connection.close();
    }
  }
}
