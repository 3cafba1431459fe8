/**
 * TDS connections with the app's managed identity (an Entra access token for Azure SQL), shared by the Synapse
 * loader (writes), the merchant refresh (reads from the OLTP database's primary) and the payment API
 * (pooled, lib/paymentStore.ts). Encrypted, port 1433
 * through the private endpoints, limits under the host's 30-second function timeout.
 */
import { Connection, Request, TYPES } from "tedious";
import { DeadlineError, type ManagedIdentityTokens } from "./azure";

/** Login and per-statement limits: under the host's 30-second function timeout. */
export const CONNECT_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 15_000;

/** The audience of Entra tokens for Azure SQL and Synapse SQL. */
export const SQL_TOKEN_RESOURCE = "https://database.windows.net/";

export interface TdsTarget {
  /** `<server>.database.windows.net` or `<workspace>.sql.azuresynapse.net` */
  readonly server: string;
  readonly database: string;
  /**
   * ApplicationIntent=ReadOnly: on a Business Critical database with read scale-out (prod) the connection lands on a
   * readable secondary replica; a General Purpose database (dev) has none and serves it from the primary. Each new
   * connection may reach a replica at another point in time (the merchant refresh reads the primary for that).
   */
  readonly readOnlyIntent?: boolean;
}

/** Limits of a connection (defaults: CONNECT_TIMEOUT_MS, REQUEST_TIMEOUT_MS, tedious' own for the rest). */
export interface TdsLimits {
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** How long a timed-out statement's cancellation may take (tedious: 5 s). */
  readonly cancelTimeoutMs?: number;
  /** Logins tedious retries itself on a transient error (tedious: 3). */
  readonly loginRetries?: number;
}

/**
 * Opens a connection; the caller closes it. A login the server refuses arrives from tedious as ELOGIN with no number:
 * the number of the server's first error message during the login is put on the error, so a transient refusal (40613,
 * the database moving in a failover) can be told from a permanent one (18456).
 */
export async function connectTds(
  target: TdsTarget,
  tokens: Pick<ManagedIdentityTokens, "token">,
  limits: TdsLimits = { connectTimeoutMs: CONNECT_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS },
): Promise<Connection> {
  const token = await tokens.token(SQL_TOKEN_RESOURCE);
  const connection = new Connection({
    server: target.server,
    authentication: { type: "azure-active-directory-access-token", options: { token } },
    options: {
      database: target.database,
      encrypt: true,
      port: 1433,
      connectTimeout: limits.connectTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      ...(limits.cancelTimeoutMs !== undefined ? { cancelTimeout: limits.cancelTimeoutMs } : {}),
      ...(limits.loginRetries !== undefined ? { maxRetriesOnTransientErrors: limits.loginRetries } : {}),
      readOnlyIntent: target.readOnlyIntent === true,
    },
  });
  handleLateErrors(connection);
  await loginWithin(connection, limits.connectTimeoutMs);
  recordLoginExpiry(connection, token);
  return connection;
}

const loginExpiry = new WeakMap<Connection, number>();

/** Records when the token a connection logged in with expires (connectTds, after the login). */
export function recordLoginExpiry(connection: Connection, token: string): void {
  const expiresAt = tokenExpiry(token);
  if (expiresAt !== undefined) loginExpiry.set(connection, expiresAt);
}

/** When the access token a connection of connectTds logged in with expires (epoch ms), if its token said. */
export function loginTokenExpiresAt(connection: Connection): number | undefined {
  return loginExpiry.get(connection);
}

/**
 * The expiry of an Entra access token (epoch ms): its `exp` claim, seconds since the epoch (RFC 7519 4.1.4), in the
 * JWT's payload; undefined when the token is not a JWT with one.
 */
export function tokenExpiry(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const exp: unknown = (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { exp?: unknown }).exp;
    return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The login within `ms` of wall clock, redirect included: tedious starts a new connect timer when Azure SQL redirects
 * the login to the database's node (connection.js `performReRouting` calls `initialiseConnection` again), so a login
 * slow at the gateway and again at the node could take twice `connectTimeout` and run past the budget its caller gave
 * it (the payment API's 30 s). Past `ms` the connection is closed and the login fails as a timeout (`ETIMEOUT`:
 * transient, as tedious' own).
 */
export async function loginWithin(connection: Pick<Connection, "on" | "connect" | "close">, ms: number): Promise<void> {
  const login = loginWithErrorNumber(connection);
  // Whatever the closed login reports later goes nowhere.
  login.catch(() => undefined);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // tedious does not cancel a login still opening its socket: one that completes after this is closed then.
      login.then(
        () => connection.close(),
        () => undefined,
      );
      try {
        connection.close();
      } catch {
        // Closing a connection mid-login: nothing more to release.
      }
      reject(
        Object.assign(new Error(`Failed to log in within ${ms}ms (Azure SQL's redirect included)`), {
          code: "ETIMEOUT",
        }),
      );
    }, ms);
  });
  try {
    await Promise.race([login, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Connects; a refused login's error carries the number of the server's first error message (see connectTds). */
export async function loginWithErrorNumber(connection: Pick<Connection, "on" | "connect">): Promise<void> {
  // The first message is the cause: a database that cannot be opened sends 4060, then the generic 18456.
  let serverNumber: number | undefined;
  connection.on("errorMessage", (m: { number: number }) => (serverNumber ??= m.number));
  await new Promise<void>((resolve, reject) =>
    connection.connect((err) => {
      if (!err) return resolve();
      const e = err as Error & { number?: number };
      if (e.number === undefined && serverNumber !== undefined) e.number = serverNumber;
      reject(e);
    }),
  );
}

/**
 * tedious drops its own 'error' listener once logged in, and emits 'error' when the socket fails later (a failover, a
 * reset): with no listener that is an uncaught exception, which ends the worker process and every invocation in it.
 * The request in flight already fails with ECLOSE (tedious' cleanupConnection), so the event only needs a listener.
 */
export function handleLateErrors<C extends Pick<Connection, "on">>(connection: C): C {
  connection.on("error", () => undefined);
  return connection;
}

/** One read-only statement with bigint parameters. */
export interface SqlStatement {
  readonly sql: string;
  readonly params?: Readonly<Record<string, number>>;
}

/** Read-only queries with bigint parameters, rows as column-name → value (bigint columns arrive as strings). */
export interface SqlReader {
  query(
    sql: string,
    params?: Readonly<Record<string, number>>,
    options?: SqlQueryOptions,
  ): Promise<Record<string, unknown>[]>;
  /**
   * The statements one after another on one connection, so on one replica: a later statement sees at least what an
   * earlier one saw (a readable replica applies the log in order; a new connection may reach another replica "at a
   * different point in time", Microsoft's read-scale-out page). The rows of each, in order.
   */
  queries(statements: readonly SqlStatement[], options?: SqlQueryOptions): Promise<Record<string, unknown>[][]>;
}

export interface SqlQueryOptions {
  /**
   * Epoch milliseconds by which the query must have answered, its connection and a timed-out request's cancellation
   * included: a caller inside the host's function timeout gives its own deadline (a query that outlives the timeout
   * ends the worker and every invocation in it).
   */
  readonly deadline?: number;
}

/** How long a timed-out read's cancellation may take when the read has a deadline (tedious' own is 5 s). */
export const READ_CANCEL_TIMEOUT_MS = 1_000;

/**
 * The limits of a read that must answer by `deadline` (the connection's defaults without one): the login and the
 * request each get at most what is left once the cancellation's time is set aside, and the login is tried once
 * (tedious retries a login refused with a transient error, 40613 in a failover among them, three times by default,
 * each with a fresh connect timeout). Throws DeadlineError when too little is left to try (under `minimumMs`).
 */
export function readLimits(deadline: number | undefined, now: number, minimumMs = 500): TdsLimits {
  if (deadline === undefined) return { connectTimeoutMs: CONNECT_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS };
  const left = deadline - now - READ_CANCEL_TIMEOUT_MS;
  if (left < minimumMs) throw new DeadlineError("SQL read");
  return {
    connectTimeoutMs: Math.min(CONNECT_TIMEOUT_MS, left),
    requestTimeoutMs: Math.min(REQUEST_TIMEOUT_MS, left),
    cancelTimeoutMs: READ_CANCEL_TIMEOUT_MS,
    loginRetries: 0,
  };
}

/** Runs the statements of a call on one connection of their own. */
export class TdsReader implements SqlReader {
  constructor(
    private readonly target: TdsTarget,
    private readonly tokens: Pick<ManagedIdentityTokens, "token">,
    /** Opens the connection (tests pass a fake). */
    private readonly connect: (
      target: TdsTarget,
      tokens: Pick<ManagedIdentityTokens, "token">,
      limits: TdsLimits,
    ) => Promise<Pick<Connection, "execSql" | "close">> = connectTds,
    private readonly now: () => number = Date.now,
  ) {}

  async query(
    sql: string,
    params: Readonly<Record<string, number>> = {},
    options: SqlQueryOptions = {},
  ): Promise<Record<string, unknown>[]> {
    const [rows] = await this.queries([{ sql, params }], options);
    return rows;
  }

  async queries(
    statements: readonly SqlStatement[],
    options: SqlQueryOptions = {},
  ): Promise<Record<string, unknown>[][]> {
    // The token first, within the deadline (the identity endpoint may take seconds): the login's time is then what is
    // left after it, and the connection's own token request finds it cached.
    if (options.deadline !== undefined) await this.tokens.token(SQL_TOKEN_RESOURCE, options.deadline);
    const connection = await this.connect(this.target, this.tokens, readLimits(options.deadline, this.now()));
    try {
      const results: Record<string, unknown>[][] = [];
      for (const { sql, params = {} } of statements)
        results.push(
          await new Promise<Record<string, unknown>[]>((resolve, reject) => {
            const rows: Record<string, unknown>[] = [];
            const request = new Request(sql, (err) => (err ? reject(err) : resolve(rows)));
            // The login and the earlier statements used part of the time: this one gets what is left (never past the
            // deadline).
            if (options.deadline !== undefined)
              request.setTimeout(readLimits(options.deadline, this.now(), 1).requestTimeoutMs);
            for (const [name, value] of Object.entries(params)) request.addParameter(name, TYPES.BigInt, value);
            request.on("row", (columns: { metadata: { colName: string }; value: unknown }[]) =>
              rows.push(Object.fromEntries(columns.map((c) => [c.metadata.colName, c.value]))),
            );
            connection.execSql(request);
          }),
        );
      return results;
    } finally {
      connection.close();
    }
  }
}

/** `Server=tcp:<fqdn>,1433;Database=<db>;…` (the SQL bindings' connection setting) → the server and database. */
export function parseSqlConnection(connection: string): { server: string; database: string } {
  const parts = new Map(
    connection
      .split(";")
      .map((p) => p.split("="))
      .filter((kv) => kv.length === 2)
      .map(([k, v]) => [k.trim().toLowerCase(), v.trim()] as const),
  );
  const server = (parts.get("server") ?? "").replace(/^tcp:/i, "").replace(/,\d+$/, "");
  const database = parts.get("database") ?? "";
  if (!server || !database) throw new Error("the SQL connection setting names no Server and Database");
  return { server, database };
}
