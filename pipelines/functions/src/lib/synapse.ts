/**
 * Writes to the Synapse dedicated SQL pool with the app's managed identity (flow 3's loader): an Entra access token
 * for Azure SQL from the identity endpoint (src/lib/identity.ts), one TDS connection per batch through the
 * workspace's private endpoint (`<workspace>.sql.azuresynapse.net` resolves to it in the VNet; port 1433: the
 * workspace's Default connection policy proxies this driver), TLS on. Each statement commits on its own: a dedicated
 * pool has no named or nested transactions, and the driver's transaction-manager requests are not known to work
 * against it. A batch that fails is retried where it stopped (`BatchProgress`): a backlog too large for one
 * invocation's deadline goes forward a deadline's worth at a time instead of inserting its first part again on
 * every retry. Apart from a statement whose commit was not confirmed, only a batch retried on another instance or
 * forgotten beyond MAX_TRACKED_BATCHES inserts again what had committed, which the nightly compaction deduplicates.
 * Timeouts fit the host's 30-second function timeout (host.json): a slow login fails fast and the retry policy
 * tries again.
 */
import { createHash } from "node:crypto";
import { type Connection, Request, TYPES } from "tedious";
import type { DataType } from "tedious/lib/data-type";
import type { ParameterOptions } from "tedious/lib/request";
import type { ManagedIdentityTokens } from "./azure";
import { STREAM_LOAD_LABEL, type SqlExecutor, type SqlStatement, type SqlType } from "./streamTarget";
import {
  CONNECT_TIMEOUT_MS,
  connectTds,
  REQUEST_TIMEOUT_MS,
  SQL_TOKEN_RESOURCE,
  type TdsLimits,
  type TdsTarget,
} from "./tds";

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

/**
 * The connection's limits for a batch started at `startedAt`: one login attempt of at most what is left of the
 * deadline (never more than the connection's own connect timeout), statements cut by statementTimeoutMs, a short
 * cancel.
 */
export function loginLimits(startedAt: number, now: number): TdsLimits {
  return {
    connectTimeoutMs: Math.max(1, Math.min(CONNECT_TIMEOUT_MS, BATCH_DEADLINE_MS - (now - startedAt))),
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    cancelTimeoutMs: CANCEL_TIMEOUT_MS,
    loginRetries: 0,
  };
}

/** How many failed batches an instance remembers (one per partition it holds is the usual case). */
export const MAX_TRACKED_BATCHES = 64;

/**
 * How far each failed batch got, so that its retry goes on from the first statement that had not committed instead
 * of inserting the committed ones again. Without it a batch needing more than one deadline (a backlog after the pool
 * was paused or unreachable: the trigger hands over up to 100 events of many rows each) would commit the same first
 * part on every retry and never finish, its partition stuck and its rows multiplied.
 *
 * In memory, which the retry reaches: the retry policy re-runs the same batch on the same instance ("The current
 * retry count is stored in memory of the instance", learn.microsoft.com/azure/azure-functions/
 * functions-bindings-error-pages, Max retry counts) and the writer lives as long as the worker. Keyed by the batch's
 * content (every statement's text and values, so another batch never skips anything) and forgotten once the batch
 * succeeds (a replay of the same rows later is inserted again, as before, and deduplicated by the nightly compaction).
 * An instance that fails takes its progress with it: the batch then starts over on the next instance, as it did
 * before. A statement whose commit was not confirmed (an error after the server committed) is not counted: it may be
 * inserted twice, never skipped.
 */
export class BatchProgress {
  private readonly committed = new Map<string, number>();

  constructor(private readonly capacity: number = MAX_TRACKED_BATCHES) {}

  /** The batch's identity: a hash of every statement's text and parameter values, in order. */
  static keyOf(statements: readonly SqlStatement[]): string {
    const hash = createHash("sha256");
    // Each statement as JSON (lengths and quotes delimit every part, so no two batches share an encoding), a Date
    // tagged apart from its ISO text.
    for (const s of statements)
      hash.update(
        JSON.stringify([
          s.sql,
          s.parameters.map((p) => [p.name, p.value instanceof Date ? { date: p.value.toISOString() } : p.value]),
        ]),
      );
    return hash.digest("hex");
  }

  /** How many of the batch's statements had committed (0 for a batch not seen failing). */
  done(key: string): number {
    return this.committed.get(key) ?? 0;
  }

  /** Records that the first `count` statements have committed; the oldest batch is forgotten beyond capacity. */
  record(key: string, count: number): void {
    this.committed.delete(key);
    this.committed.set(key, count);
    while (this.committed.size > this.capacity) {
      const oldest = this.committed.keys().next().value;
      if (oldest === undefined) break;
      this.committed.delete(oldest);
    }
  }

  /** The batch is done: forgets it. */
  finish(key: string): void {
    this.committed.delete(key);
  }

  /** How many batches it remembers. */
  get size(): number {
    return this.committed.size;
  }
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

/**
 * The batch that sets the session's workload context before the inserts: the pool's classifier of `dbo` with this
 * context (components/olap/settings.ts, `wc_stream_load`) puts the session's requests in the interactive group,
 * where the loader runs as `dbo` (CREATE WORKLOAD CLASSIFIER, WLM_CONTEXT: "Use the sys.sp_set_session_context with
 * the variable name equal to wlm_context prior to submitting a request"). A plain batch, not a parameterised request:
 * the inserts keep their label too, which the pool's logs show.
 */
export const SESSION_CONTEXT_BATCH = `EXEC sys.sp_set_session_context @key = N'wlm_context', @value = N'${STREAM_LOAD_LABEL}';`;

export class SynapseWriter implements SqlExecutor {
  constructor(
    private readonly target: SynapseTarget,
    private readonly tokens: Pick<ManagedIdentityTokens, "token">,
    private readonly now: () => number = Date.now,
    /** Opens the connection (tests pass a fake). */
    private readonly connect: (
      target: TdsTarget,
      tokens: Pick<ManagedIdentityTokens, "token">,
      limits: TdsLimits,
    ) => Promise<Pick<Connection, "execSql" | "execSqlBatch" | "close">> = connectTds,
    /** Where failed batches stopped (one per writer, which lives as long as the worker). */
    private readonly progress: BatchProgress = new BatchProgress(),
  ) {}

  /** Runs the statements not yet committed by an earlier attempt at the same batch; resolves with the rows inserted. */
  async run(statements: readonly SqlStatement[]): Promise<number> {
    if (!statements.length) return 0;
    const key = BatchProgress.keyOf(statements);
    const from = this.progress.done(key);
    if (from >= statements.length) {
      this.progress.finish(key);
      return 0;
    }
    const startedAt = this.now();
    // The token and the login count against the batch's deadline too: the token first, within it (the identity
    // endpoint may take seconds), then one login attempt of at most what is left. tedious retries a login refused
    // with a transient error (40613 in a failover, 40501, 10928…) three times by default, each with a fresh connect
    // timeout (tedious lib/connection.js, maxRetriesOnTransientErrors: 3), which could take the invocation past the
    // host's 30 s: the host then restarts the worker, and the progress of a failed batch (in its memory) with it.
    // The function's own retry policy tries the batch again instead.
    await this.tokens.token(SQL_TOKEN_RESOURCE, startedAt + BATCH_DEADLINE_MS);
    checkDeadline(startedAt, this.now(), from, statements.length);
    const connection = await this.connect(this.target, this.tokens, loginLimits(startedAt, this.now()));
    try {
      await new Promise<void>((resolve, reject) => {
        const request = new Request(SESSION_CONTEXT_BATCH, (err) => (err ? reject(err) : resolve()));
        request.setTimeout(statementTimeoutMs(startedAt, this.now()));
        connection.execSqlBatch(request);
      });
      let inserted = 0;
      for (let i = from; i < statements.length; i++) {
        const statement = statements[i];
        checkDeadline(startedAt, this.now(), i, statements.length);
        // A statement is one INSERT … SELECT … UNION ALL: it inserts all of its rows or fails. Its own row count is
        // what it inserted. The server's count is not used: tedious reports it only when the DONE token carries
        // DONE_COUNT (tedious lib/token/done-token-parser.js), and a dedicated pool supports neither @@ROWCOUNT nor
        // ROWCOUNT_BIG (Microsoft's "Migrate your SQL code to Azure Synapse Analytics"). A pool that did not send it
        // would log "inserted 0" for every batch, and the freshness alert summing those lines would page while data
        // flows (components/streaming/freshness.ts).
        inserted += await new Promise<number>((resolve, reject) => {
          const request = new Request(statement.sql, (err) => (err ? reject(err) : resolve(statement.rows)));
          request.setTimeout(statementTimeoutMs(startedAt, this.now()));
          for (const p of statement.parameters) {
            const t = tediousType(p.type);
            request.addParameter(p.name, t.type, p.value, t.options);
          }
          connection.execSql(request);
        });
        this.progress.record(key, i + 1);
      }
      this.progress.finish(key);
      return inserted;
    } finally {
      connection.close();
    }
  }
}
