import { strict as assert } from "node:assert";
import { Request } from "tedious";
import * as fs from "node:fs";
import { app, type EventHubFunctionOptions, type InvocationContext } from "@azure/functions";
import {
  apiPerformanceHandler,
  loaderTarget,
  loaderWriter,
  registerApiPerformanceLoader,
} from "../../../pipelines/functions/src/functions/apiPerformanceLoader";
import { STREAM_TARGETS } from "../../../pipelines/functions/src/generated/streamTargets";
import {
  declaredType,
  insertStatements,
  MAX_PARAMETERS,
  MAX_ROWS_PER_STATEMENT,
  MAX_STATEMENT_CHARS,
  parseRows,
  STREAM_LOAD_LABEL,
  toSqlValue,
  type SqlStatement,
  type SqlType,
} from "../../../pipelines/functions/src/lib/streamTarget";
import { STREAM_LOAD_LABEL as OLAP_STREAM_LOAD_LABEL } from "../../../components/olap/settings";
import {
  BATCH_DEADLINE_MS,
  BatchProgress,
  CANCEL_TIMEOUT_MS,
  checkDeadline,
  loginLimits,
  MAX_TRACKED_BATCHES,
  SynapseWriter,
  statementTimeoutMs,
  tediousType,
} from "../../../pipelines/functions/src/lib/synapse";
import {
  CONNECT_TIMEOUT_MS,
  REQUEST_TIMEOUT_MS,
  SQL_TOKEN_RESOURCE,
  type TdsLimits,
} from "../../../pipelines/functions/src/lib/tds";
import {
  checkGenerated,
  describeCheck,
  FUNCTIONS_GENERATED_DIR,
  generateFunctionFiles,
  isUpToDate,
} from "../../../pipelines/generate";
import { dataModel } from "../../../pipelines/model";

/** What the job writes for the committed sample input (pipelines/streaming/samples). */
const expected: Record<string, unknown>[] = JSON.parse(
  fs.readFileSync("pipelines/streaming/samples/FactApiPerformance.expected.json", "utf8"),
);
const target = loaderTarget();

const context = () => {
  const logs: string[] = [];
  const errors: string[] = [];
  return {
    logs,
    errors,
    ctx: { log: (m: string) => logs.push(m), error: (m: string) => errors.push(m) } as unknown as InvocationContext,
  };
};

describe("Synapse loader: the fact's columns come from the data model", () => {
  it("the generated module is up to date with pipelines/model (npm run sql:generate)", () => {
    const result = checkGenerated(FUNCTIONS_GENERATED_DIR, generateFunctionFiles(dataModel), [".ts"]);
    assert.ok(isUpToDate(result), describeCheck(result, "pipelines/functions/src/generated"));
  });

  it("the loader inserts exactly the fact's columns, in table order", () => {
    const fact = dataModel.olap.tables.find((t) => t.name === "Fact_API_Performance");
    assert.deepEqual(
      target.columns.map((c) => c.name),
      fact?.columns.map((c) => c.name),
    );
    assert.equal(STREAM_TARGETS.length, dataModel.olap.mappings.filter((m) => m.kind === "stream").length);
  });

  it("a column added to the model reaches the INSERT with no hand edit", () => {
    const wider = {
      ...target,
      columns: [...target.columns, { name: "Region", type: { kind: "varchar", length: 8 } as const, nullable: true }],
    };
    const { statements } = insertStatements(wider, [{ ...expected[0], Region: "weu" }]);
    assert.match(statements[0].sql, /\[Region\]\)/);
    assert.equal(statements[0].parameters.at(-1)?.value, "weu");
  });
});

describe("Synapse loader: rows", () => {
  it("reads the job's line-separated JSON, a JSON array, bytes and parsed objects", () => {
    const [a, b] = expected;
    const lines = `${JSON.stringify(a)}\n${JSON.stringify(b)}\n`;
    assert.equal(parseRows(lines).rows.length, 2);
    assert.equal(parseRows(Buffer.from(lines)).rows.length, 2);
    assert.equal(parseRows([a, b]).rows.length, 2);
    assert.equal(parseRows(a).rows.length, 1);
    assert.deepEqual(parseRows("{not json").errors, ["not JSON: {not json"]);
  });

  it("every row of the committed sample output fits the fact's columns", () => {
    const { statements, rejected } = insertStatements(target, expected);
    assert.deepEqual(rejected, []);
    assert.equal(
      statements.reduce((n, s) => n + s.rows, 0),
      expected.length,
    );
  });

  it("refuses a value that does not fit its column, naming the column and why", () => {
    const [row] = expected;
    const bad = [
      { ...row, HourOfDay: 300 },
      { ...row, Endpoint: "x".repeat(129) },
      { ...row, MinuteStart: "yesterday" },
      { ...row, RequestCount: undefined },
      { ...row, ErrorRate: 1000 },
    ];
    const { statements, rejected } = insertStatements(target, bad);
    assert.equal(statements.length, 0);
    assert.deepEqual(
      rejected.map((r) => r.reason),
      [
        "HourOfDay is not a tinyint: 300",
        "Endpoint is longer than 128",
        'MinuteStart is not an ISO 8601 date: "yesterday"',
        "RequestCount is missing",
        "ErrorRate does not fit decimal(9, 6)",
      ],
    );
  });

  it("binds values with the column's SQL type: Stream Analytics' 7-digit fractions, decimals rounded to scale", () => {
    const minute = target.columns.find((c) => c.name === "MinuteStart");
    const rate = target.columns.find((c) => c.name === "ErrorRate");
    assert.ok(minute && rate);
    assert.deepEqual(toSqlValue("2026-03-01T10:00:00.0000000Z", minute), {
      ok: true,
      value: new Date("2026-03-01T10:00:00Z"),
    });
    assert.deepEqual(toSqlValue(0.1234567, rate), { ok: true, value: 0.123457 });
    assert.deepEqual(tediousType(rate.type).options, { precision: 9, scale: 6 });
    assert.deepEqual(tediousType(minute.type).options, { scale: 0 });
  });

  it("checks a decimal after rounding it to its scale, and a varchar's length in bytes", () => {
    const dec = { name: "D", type: { kind: "decimal", precision: 4, scale: 2 } as const, nullable: false };
    assert.deepEqual(toSqlValue(99.994, dec), { ok: true, value: 99.99 });
    assert.deepEqual(toSqlValue(99.996, dec), { ok: false, reason: "D does not fit decimal(4, 2)" });
    const v = { name: "V", type: { kind: "varchar", length: 4 } as const, nullable: false };
    const nv = { name: "N", type: { kind: "nvarchar", length: 4 } as const, nullable: false };
    assert.deepEqual(toSqlValue("ééé", v), { ok: false, reason: "V is longer than 4" });
    assert.deepEqual(toSqlValue("ééé", nv), { ok: true, value: "ééé" });
  });

  it("a batch that outlives its deadline fails before the next statement (under the host's 30 s timeout)", () => {
    assert.ok(BATCH_DEADLINE_MS < 30_000);
    checkDeadline(0, BATCH_DEADLINE_MS, 3, 5);
    assert.throws(() => checkDeadline(0, BATCH_DEADLINE_MS + 1, 3, 5), /before statement 4 of 5: retried/);
    // A statement never runs past the deadline: its timeout is what is left of it, at most the connection's.
    assert.equal(statementTimeoutMs(0, 0), Math.min(REQUEST_TIMEOUT_MS, BATCH_DEADLINE_MS));
    assert.equal(statementTimeoutMs(0, BATCH_DEADLINE_MS - 2_000), 2_000);
    assert.equal(statementTimeoutMs(0, BATCH_DEADLINE_MS), 1);
    // A statement cut at the deadline, then its cancel confirmed, still ends before the host's 30 s.
    assert.ok(BATCH_DEADLINE_MS + CANCEL_TIMEOUT_MS < 30_000);
  });

  /** The two strings tedious sends `sp_executesql` for a statement: its text and its parameter declarations. */
  const rpcStrings = (s: SqlStatement) => {
    const request = new Request(s.sql, () => undefined);
    for (const p of s.parameters) {
      const t = tediousType(p.type);
      request.addParameter(p.name, t.type, p.value, t.options);
    }
    const declarations = (
      request as unknown as { makeParamsParameter(p: unknown): string; parameters: unknown }
    ).makeParamsParameter((request as unknown as { parameters: unknown }).parameters);
    return { text: s.sql, declarations };
  };

  it("one INSERT … SELECT … UNION ALL per statement, each of its sp_executesql strings within 4,000 characters", () => {
    const rows = Array.from({ length: 250 }, (_, i) => ({ ...expected[0], MerchantKey: i + 1 }));
    const { statements } = insertStatements(target, rows);
    // tedious sends the text and the declarations as nvarchar(max) past 4,000 characters, which a dedicated pool
    // refuses in sp_executesql; the fact's 15 parameters a row declare ~220 characters: 18 rows a statement.
    for (const s of statements) {
      const { text, declarations } = rpcStrings(s);
      assert.ok(text.length <= MAX_STATEMENT_CHARS, `text of ${s.rows} rows: ${text.length} characters`);
      assert.ok(declarations.length <= MAX_STATEMENT_CHARS, `declarations: ${declarations.length} characters`);
    }
    assert.equal(MAX_STATEMENT_CHARS, 4000);
    assert.deepEqual(
      statements.map((s) => s.rows),
      [...Array<number>(13).fill(18), 16],
    );
    // Full statements: one more row would pass the limit (the declarations are the longer string).
    const nineteen = insertStatements(target, rows.slice(0, 19)).statements;
    assert.deepEqual(
      nineteen.map((s) => s.rows),
      [18, 1],
    );
    assert.ok(rpcStrings(nineteen[0]).declarations.length > MAX_STATEMENT_CHARS - 230, "the 19th row would not fit");
    const { statements: joined } = insertStatements(
      { table: target.table, columns: target.columns.slice(0, 1) },
      rows.slice(0, 1).concat(Array.from({ length: 150 }, () => rows[0])),
    );
    assert.equal(joined[0].rows, MAX_ROWS_PER_STATEMENT, "narrow rows stop at the row limit");
    for (const s of [...statements, ...joined]) assert.ok(s.parameters.length <= MAX_PARAMETERS);
    assert.ok(MAX_PARAMETERS < 2100, "SQL Server refuses a request with more than 2,100 parameters");
    const first = statements[0];
    assert.match(first.sql, /^INSERT INTO \[dbo\]\.\[Fact_API_Performance\] \(\[MinuteStart\], \[DateKey\],/);
    assert.match(first.sql, /\nUNION ALL SELECT @p1_0, @p1_1,/);
    assert.doesNotMatch(first.sql, /VALUES/); // a dedicated pool takes no multi-row VALUES list
    // Every insert is labelled for the pool's logs (Label), with the name the pool's classifier gives the loader's
    // session context (components/olap/settings.ts): the classifier matches the context, not the label.
    for (const s of statements) assert.match(s.sql, /\nOPTION \(LABEL = 'stream_load'\);$/);
    assert.equal(STREAM_LOAD_LABEL, OLAP_STREAM_LOAD_LABEL);
    assert.equal(first.parameters.find((p) => p.name === "p1_3")?.value, 2); // MerchantKey of the second row
    // Rows stay whole and in order across statements, each statement's parameters numbered from its first row.
    assert.equal(statements[1].parameters.find((p) => p.name === "p0_3")?.value, 19);
    assert.equal(
      statements.reduce((n, s) => n + s.rows, 0),
      250,
    );
  });

  it("declares each parameter type as tedious does (the length budget counts tedious' own declarations)", () => {
    const kinds: SqlType[] = [
      { kind: "bigint" },
      { kind: "int" },
      { kind: "smallint" },
      { kind: "tinyint" },
      { kind: "bit" },
      { kind: "date" },
      { kind: "datetime2", precision: 0 },
      { kind: "datetime2", precision: 7 },
      { kind: "decimal", precision: 9, scale: 4 },
      ...(["char", "varchar", "nchar", "nvarchar", "binary", "varbinary"] as const).flatMap((kind) =>
        [1, 64, 4000, 4001, 8000, 8001].map((length) => ({ kind, length })),
      ),
    ];
    for (const type of kinds) {
      const t = tediousType(type);
      const request = new Request("x", () => undefined);
      request.addParameter("a", t.type, null, t.options);
      const tedious = rpcStrings({ sql: "x", parameters: [{ name: "a", type, value: null }], rows: 1 }).declarations;
      assert.equal(`@a ${declaredType(type)}`, tedious, JSON.stringify(type));
    }
    // No column of a stream target is a blob type, which a dedicated pool refuses as an sp_executesql parameter.
    for (const t of STREAM_TARGETS)
      for (const c of t.columns)
        if (c.type.kind !== "rowversion") assert.doesNotMatch(declaredType(c.type), /\(max\)/, `${t.table}.${c.name}`);
  });
});

describe("Synapse loader: the writer", () => {
  type Completion = (err?: Error, rowCount?: number) => void;
  const complete = (request: Request, err?: Error, rowCount?: number) =>
    (request as unknown as { callback: Completion }).callback(err, rowCount);
  const fakeConnection = (log: string[], failContext = false) => ({
    execSqlBatch: (request: Request) => {
      const batch = request as unknown as { sqlTextOrProcedure: string; timeout?: number };
      // Bounded like every statement of the batch (statementTimeoutMs): never past the host's function timeout.
      assert.ok(batch.timeout !== undefined && batch.timeout <= BATCH_DEADLINE_MS, `timeout ${batch.timeout}`);
      log.push(`batch: ${batch.sqlTextOrProcedure}`);
      complete(request, failContext ? new Error("context refused") : undefined);
    },
    execSql: (request: Request) => {
      log.push("insert");
      // 0: what tedious reports when the server's DONE token carries no count (DONE_COUNT unset).
      complete(request, undefined, 0);
    },
    close: () => log.push("close"),
  });
  const writerOver = (log: string[], failContext = false) =>
    new SynapseWriter(
      { server: "ws.sql.azuresynapse.net", database: "dw" },
      { token: async () => "t" },
      Date.now,
      async () => fakeConnection(log, failContext),
    );

  it("logs in once, within what is left of the batch's deadline (tedious' own login retries could pass the host's 30 s)", () => {
    assert.deepEqual(loginLimits(0, 0), {
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      cancelTimeoutMs: CANCEL_TIMEOUT_MS,
      loginRetries: 0,
    });
    assert.equal(loginLimits(0, BATCH_DEADLINE_MS - 4_000).connectTimeoutMs, 4_000);
    assert.equal(loginLimits(0, BATCH_DEADLINE_MS).connectTimeoutMs, 1);
  });

  it("asks the token within the batch's deadline and gives the login only what is left after it", async () => {
    let clock = 50_000;
    const asked: { resource: string; deadline?: number }[] = [];
    let limits: TdsLimits | undefined;
    const writer = new SynapseWriter(
      { server: "ws.sql.azuresynapse.net", database: "dw" },
      {
        token: async (resource: string, deadline?: number) => {
          asked.push({ resource, deadline });
          clock += 18_000; // a slow identity endpoint
          return "t";
        },
      },
      () => clock,
      async (_target, _tokens, given) => {
        limits = given;
        return fakeConnection([]);
      },
    );
    await writer.run(insertStatements(target, expected).statements);
    assert.deepEqual(asked, [{ resource: SQL_TOKEN_RESOURCE, deadline: 50_000 + BATCH_DEADLINE_MS }]);
    assert.deepEqual([limits?.connectTimeoutMs, limits?.loginRetries], [BATCH_DEADLINE_MS - 18_000, 0]);
  });

  it("a token that takes the whole deadline fails the batch (retried) without opening a connection", async () => {
    let clock = 0;
    let connected = false;
    const writer = new SynapseWriter(
      { server: "ws.sql.azuresynapse.net", database: "dw" },
      {
        token: async () => {
          clock += BATCH_DEADLINE_MS + 1;
          return "t";
        },
      },
      () => clock,
      async () => {
        connected = true;
        return fakeConnection([]);
      },
    );
    await assert.rejects(writer.run(insertStatements(target, expected).statements), /batch deadline of 25 s passed/);
    assert.equal(connected, false);
  });

  it("sets the session's workload context in a plain batch before the inserts, then closes", async () => {
    const log: string[] = [];
    const writer = writerOver(log);
    const rows = Array.from({ length: 150 }, (_, i) => ({ ...expected[0], MerchantKey: i + 1 }));
    // The rows of the statements that succeeded (each inserts all of its rows or fails), whatever count the pool
    // reports: the freshness alert sums this figure from the log, and a pool sending no count must not read as 0.
    assert.equal(await writer.run(insertStatements(target, rows).statements), 150);
    // The pool's classifier of dbo + this context (wc_stream_load) puts the inserts in the interactive group.
    assert.deepEqual(log, [
      "batch: EXEC sys.sp_set_session_context @key = N'wlm_context', @value = N'stream_load';",
      ...Array<string>(9).fill("insert"), // 150 rows, 18 a statement
      "close",
    ]);
  });

  it("fails the batch (retried) and closes when the context cannot be set, before any insert", async () => {
    const log: string[] = [];
    const writer = writerOver(log, true);
    await assert.rejects(writer.run(insertStatements(target, expected).statements), /context refused/);
    assert.deepEqual(log.slice(1), ["close"]);
  });

  describe("a batch retried after its deadline goes on where it stopped", () => {
    /**
     * A pool where every INSERT takes `ms` of a fake clock, and the one after `failAt` successful ones fails once;
     * records which statements committed (by their text).
     */
    const slowPool = (ms: number, failAt?: number) => {
      let clock = 0;
      const ran: string[] = [];
      const writer = new SynapseWriter(
        { server: "ws.sql.azuresynapse.net", database: "dw" },
        { token: async () => "t" },
        () => clock,
        async () => ({
          execSqlBatch: (request: Request) => complete(request),
          execSql: (request: Request) => {
            const sql = (request as unknown as { sqlTextOrProcedure: string }).sqlTextOrProcedure;
            clock += ms;
            if (ran.length === failAt) {
              failAt = undefined; // once: the pool is back for the retry
              return complete(request, new Error("pool unreachable"));
            }
            ran.push(sql);
            complete(request, undefined, 100);
          },
          close: () => undefined,
        }),
      );
      return { writer, ran };
    };
    /** A backlog of `n` statements of 100 rows each (the statements' text tells them apart). */
    const backlog = (n: number, tag = "a"): SqlStatement[] =>
      Array.from({ length: n }, (_, i) => ({
        sql: `INSERT ${tag}${i}`,
        parameters: [{ name: "p0_0", type: { kind: "bigint" as const }, value: i }],
        rows: 100,
      }));

    it("a backlog longer than one deadline finishes over several attempts, each statement inserted once", async () => {
      // 180 statements at 300 ms: about an hour of the seed's rows behind a paused pool (a review's reproduction).
      const { writer, ran } = slowPool(300);
      const batch = backlog(180);
      const attempts: string[] = [];
      for (let attempt = 1; attempt <= 5; attempt++) {
        try {
          attempts.push(`inserted ${await writer.run(batch)}`);
          break;
        } catch (e) {
          attempts.push((e as Error).message);
        }
      }
      // Each attempt commits a deadline's worth (the 85th statement would start after 25 s) and the next one goes on.
      assert.deepEqual(attempts, [
        "batch deadline of 25 s passed before statement 85 of 180: retried",
        "batch deadline of 25 s passed before statement 169 of 180: retried",
        "inserted 1200",
      ]);
      assert.deepEqual(
        ran,
        batch.map((s) => s.sql),
        "every statement once, in order",
      );
    });

    it("a statement that failed is run again (never skipped), and a finished batch is forgotten", async () => {
      const { writer, ran } = slowPool(10, 3);
      const batch = backlog(5);
      await assert.rejects(writer.run(batch), /pool unreachable/);
      assert.deepEqual(ran, ["INSERT a0", "INSERT a1", "INSERT a2"]);
      assert.equal(await writer.run(batch), 200);
      assert.deepEqual(ran, ["INSERT a0", "INSERT a1", "INSERT a2", "INSERT a3", "INSERT a4"]);
      // The same rows sent again later (a replay) are inserted again: the nightly compaction's to deduplicate.
      assert.equal(await writer.run(batch), 500);
    });

    it("another batch, or the same statements with one value changed, starts from its first statement", async () => {
      const { writer, ran } = slowPool(300);
      const batch = backlog(100);
      await assert.rejects(writer.run(batch), /before statement 85 of 100/);
      const changed = batch.map((s, i) => (i === 99 ? { ...s, parameters: [{ ...s.parameters[0], value: -1 }] } : s));
      assert.notEqual(BatchProgress.keyOf(changed), BatchProgress.keyOf(batch));
      ran.length = 0;
      await assert.rejects(writer.run(changed), /before statement 85 of 100/);
      assert.equal(ran[0], "INSERT a0");
      // Equal content is the same batch, whatever objects carry it (the trigger hands a retry new ones).
      assert.equal(BatchProgress.keyOf(structuredClone(batch)), BatchProgress.keyOf(batch));
      // No value can pose as a parameter boundary (each statement is hashed as JSON).
      const two = [
        {
          sql: "S",
          parameters: [
            { name: "a", type: { kind: "bigint" as const }, value: "x" },
            { name: "b", type: { kind: "bigint" as const }, value: "y" },
          ],
          rows: 1,
        },
      ];
      const one = [
        { sql: "S", parameters: [{ name: "a", type: { kind: "bigint" as const }, value: 'x"],["b","y' }], rows: 1 },
      ];
      assert.notEqual(BatchProgress.keyOf(two), BatchProgress.keyOf(one));
      // A Date and its ISO text are different values.
      const at = new Date("2026-12-05T06:00:00Z");
      const withDate = [{ ...batch[0], parameters: [{ name: "d", type: { kind: "date" as const }, value: at }] }];
      const withText = [
        { ...batch[0], parameters: [{ name: "d", type: { kind: "date" as const }, value: at.toISOString() }] },
      ];
      assert.notEqual(BatchProgress.keyOf(withDate), BatchProgress.keyOf(withText));
    });

    it("remembers at most MAX_TRACKED_BATCHES failed batches, forgetting the oldest", () => {
      const progress = new BatchProgress(2);
      progress.record("a", 1);
      progress.record("b", 1);
      progress.record("a", 2); // a is the newest again
      progress.record("c", 1);
      assert.equal(progress.size, 2);
      assert.deepEqual([progress.done("a"), progress.done("b"), progress.done("c")], [2, 0, 1]);
      assert.ok(MAX_TRACKED_BATCHES >= 32, "one per partition an instance holds, with room");
    });
  });
});

describe("Synapse loader: the function", () => {
  it("inserts every row of a batch through the executor and logs the count the freshness alert reads", async () => {
    const ran: SqlStatement[][] = [];
    const executor = {
      run: async (s: readonly SqlStatement[]) => (ran.push([...s]), s.reduce((n, x) => n + x.rows, 0)),
    };
    const { ctx, logs, errors } = context();
    const body = expected.map((r) => JSON.stringify(r)).join("\n");
    const inserted = await apiPerformanceHandler(() => executor)([body, "garbage"], ctx);
    assert.equal(inserted, expected.length);
    assert.equal(ran.length, 1);
    assert.match(logs[0], new RegExp(`^inserted ${expected.length} of ${expected.length} rows from 2 events`));
    assert.deepEqual(errors, ["api-performance event skipped: not JSON: garbage"]);
  });

  it("registers on the output hub with unbounded retries: a batch is never skipped (at least once)", () => {
    const registered: [string, EventHubFunctionOptions][] = [];
    const original = app.eventHub;
    const env = {
      SYNAPSE_SQL_ENDPOINT: "syn.sql.azuresynapse.net",
      SYNAPSE_SQL_POOL: "pool",
      IDENTITY_ENDPOINT: "http://localhost/msi",
      IDENTITY_HEADER: "h",
      AZURE_CLIENT_ID: "c",
    };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    app.eventHub = <T>(name: string, options: EventHubFunctionOptions<T>) =>
      void registered.push([name, options as EventHubFunctionOptions]);
    try {
      registerApiPerformanceLoader();
    } finally {
      app.eventHub = original;
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
    assert.equal(registered.length, 1);
    const [name, options] = registered[0];
    assert.equal(name, "loadApiPerformance");
    assert.equal(options.cardinality, "many");
    // -1: retried until it succeeds; the checkpoint moves only past an inserted batch.
    assert.deepEqual(options.retry, {
      strategy: "exponentialBackoff",
      maxRetryCount: -1,
      minimumInterval: 1000,
      maximumInterval: 60_000,
    });
  });

  it("a missing Synapse setting fails each invocation naming it, never the app's load (the relay shares the process)", async () => {
    const registered: [string, EventHubFunctionOptions][] = [];
    const original = app.eventHub;
    const printed: string[] = [];
    const originalError = console.error;
    app.eventHub = <T>(name: string, options: EventHubFunctionOptions<T>) =>
      void registered.push([name, options as EventHubFunctionOptions]);
    console.error = (m: unknown) => void printed.push(String(m));
    try {
      registerApiPerformanceLoader({ SYNAPSE_SQL_ENDPOINT: "syn.sql.azuresynapse.net" });
    } finally {
      app.eventHub = original;
      console.error = originalError;
    }
    assert.deepEqual(
      registered.map(([n]) => n),
      ["loadApiPerformance"],
    );
    assert.deepEqual(printed, [
      "loadApiPerformance cannot run: SYNAPSE_SQL_POOL must be set (the Synapse loader's app settings)",
    ]);
    const { ctx } = context();
    await assert.rejects(
      (registered[0][1].handler as (e: unknown, c: InvocationContext) => Promise<void>)([], ctx),
      /^Error: SYNAPSE_SQL_POOL must be set \(the Synapse loader's app settings\)$/,
    );
    // Both settings there but no managed identity: the identity's own message, at invocation too.
    const noIdentity = loaderWriter({ SYNAPSE_SQL_ENDPOINT: "s", SYNAPSE_SQL_POOL: "p" }, fetch);
    assert.ok(noIdentity instanceof Error);
    assert.match(noIdentity.message, /IDENTITY_ENDPOINT, IDENTITY_HEADER and AZURE_CLIENT_ID must be set/);
    assert.match(String(loaderWriter({}, fetch)), /SYNAPSE_SQL_ENDPOINT and SYNAPSE_SQL_POOL must be set/);
  });

  it("a failed insert fails the invocation (the retry policy re-runs the batch; nothing is checkpointed)", async () => {
    const executor = {
      run: async () => {
        throw new Error("pool paused");
      },
    };
    await assert.rejects(apiPerformanceHandler(() => executor)([expected[0]], context().ctx), /pool paused/);
  });
});
