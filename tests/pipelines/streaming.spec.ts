import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { olapModel } from "../../pipelines/model/olap";
import {
  hasPartitionedStep,
  INPUT_ALIAS,
  maxUsefulStreamingUnits,
  OUTPUT_ALIAS,
  outputColumns,
  queryAliases,
  readQuery,
  SAMPLE_INPUT_FILE,
  SAMPLE_OUTPUT_FILE,
} from "../../pipelines/streaming/query";
import { relayBatch } from "../../pipelines/functions/src/lib/apiLogEvents";

const mapping = olapModel.mappings.find((m) => m.kind === "stream" && m.target === "Fact_API_Performance");
const table = olapModel.tables.find((t) => t.name === "Fact_API_Performance");

describe("pipelines/streaming: the flow 3 query", () => {
  it("writes exactly the columns of Fact_API_Performance, in the table's order (the model's stream mapping)", () => {
    assert.ok(mapping && mapping.kind === "stream" && table);
    const columns = outputColumns(readQuery(), OUTPUT_ALIAS);
    assert.deepEqual(
      columns,
      table.columns.map((c) => c.name),
    );
    assert.deepEqual(
      columns,
      mapping.columns.map((c) => c.target),
    );
  });

  it("has no partitioned step, so the job uses six streaming units at most (the config refuses more)", () => {
    assert.equal(hasPartitionedStep(readQuery()), false);
    assert.equal(maxUsefulStreamingUnits(readQuery()), 6);
    // What would lift the cap: a PARTITION BY step, or the input read per partition (compatibility level 1.2).
    for (const parallel of [
      "SELECT * INTO o FROM i PARTITION BY PartitionId",
      "WITH s AS (SELECT x FROM ApiLogs TIMESTAMP BY [timestamp] OVER PartitionId) SELECT * INTO o FROM s",
    ])
      assert.equal(maxUsefulStreamingUnits(parallel), 216, parallel);
    // Not in a comment or a string.
    assert.equal(hasPartitionedStep("-- PARTITION BY PartitionId\nSELECT 'OVER PartitionId' INTO o FROM i"), false);
  });

  it("reads one input and writes one output, with the aliases the job declares", () => {
    assert.deepEqual(queryAliases(readQuery()), { inputs: [INPUT_ALIAS], outputs: [OUTPUT_ALIAS] });
  });

  it("windows on the model's event-time field and window length", () => {
    assert.ok(mapping && mapping.kind === "stream");
    const q = readQuery();
    assert.match(q, new RegExp(`TIMESTAMP BY \\[?${mapping.window.timestampField}\\]?`));
    assert.match(q, new RegExp(`TumblingWindow\\(second, ${mapping.window.seconds}\\)`));
  });

  it("keeps one copy of an API call the relay sent twice (same id and event time) before counting a minute", () => {
    const q = readQuery().replace(/--[^\n]*/g, "");
    // The step after the input groups on the id at each event time; the minutes are counted from it.
    assert.match(q, /GROUP BY id, [^)]*System\.Timestamp\(\)\s*\)/);
    assert.match(q, /FROM Calls\s+GROUP BY MerchantKey, HttpMethod, Endpoint, TumblingWindow/);
    // The local-run samples carry such a copy, and the expected rows count each call once.
    const input = JSON.parse(fs.readFileSync(SAMPLE_INPUT_FILE, "utf8")) as {
      id: string;
      timestamp: string;
      merchantId: number | null;
      method: string;
      route: string;
    }[];
    assert.ok(input.length > new Set(input.map((e) => e.id)).size, "a duplicated call in the samples");
    const expected = JSON.parse(fs.readFileSync(SAMPLE_OUTPUT_FILE, "utf8")) as {
      MinuteStart: string;
      MerchantKey: number;
      HttpMethod: string;
      Endpoint: string;
      RequestCount: number;
    }[];
    const distinct = new Map<string, Set<string>>();
    for (const e of input) {
      const minute = e.timestamp.slice(0, 16);
      const key = [minute, e.merchantId ?? 0, e.method, e.route].join("|");
      distinct.set(key, (distinct.get(key) ?? new Set()).add(e.id));
    }
    for (const row of expected) {
      const key = [row.MinuteStart.slice(0, 16), row.MerchantKey, row.HttpMethod, row.Endpoint].join("|");
      assert.equal(row.RequestCount, distinct.get(key)?.size, key);
    }
  });

  it("computes every column as the model's stream mapping says: window start, ranges, percentiles, ratio, unknown member", () => {
    assert.ok(mapping && mapping.kind === "stream");
    const q = readQuery()
      .replace(/--[^\n]*/g, "")
      .replace(/\s+/g, " ");
    const has = (fragment: string, what: string) => assert.ok(q.includes(fragment), `${what}: ${fragment}`);
    // An input field as the first step names it, with the value that replaces a missing one.
    const input = (field: string) => {
      const m = new RegExp(`(COALESCE\\()?(?:TRY_)?CAST\\(${field} AS [\\w()]+\\)(?:, ([^)]+)\\))? AS (\\w+)`).exec(q);
      assert.ok(m, `field ${field} is read`);
      return { alias: m[3], whenNull: m[1] ? m[2] : undefined };
    };
    const start = mapping.columns.find((c) => c.value.kind === "windowStart")?.target;
    assert.ok(start);
    for (const { target, value } of mapping.columns) {
      switch (value.kind) {
        case "windowStart":
          // System.Timestamp() of a tumbling window is its end: the start is one window length earlier.
          has(`DATEADD(second, -${mapping.window.seconds}, System.Timestamp()) AS ${target}`, target);
          break;
        case "windowDateKey":
          has(
            `DATEPART(year, ${start}) * 10000 + DATEPART(month, ${start}) * 100 + DATEPART(day, ${start}) AS ${target}`,
            target,
          );
          break;
        case "windowHour":
          has(`DATEPART(hour, ${start}) AS ${target}`, target);
          break;
        case "group": {
          const f = input(value.field);
          assert.equal(f.alias, target, `${value.field} is grouped as ${target}`);
          assert.equal(f.whenNull, value.whenNull === undefined ? undefined : String(value.whenNull), target);
          break;
        }
        case "count":
          has(`COUNT(*) AS ${target}`, target);
          break;
        case "countWhere":
          has(
            `SUM(CASE WHEN ${input(value.field).alias} BETWEEN ${value.min} AND ${value.max} THEN 1 ELSE 0 END) AS ${target}`,
            target,
          );
          break;
        case "sum":
        case "max":
          has(`${value.kind.toUpperCase()}(${input(value.field).alias}) AS ${target}`, target);
          break;
        case "percentile": {
          const m = new RegExp(
            `PERCENTILE_CONT\\(${value.p}\\) OVER \\(ORDER BY ${input(value.field).alias}\\) AS (\\w+)`,
          ).exec(q);
          assert.ok(m, `${target}: percentile ${value.p}`);
          has(`CAST(ROUND(${m[1]}, 0) AS bigint) AS ${target}`, target);
          break;
        }
        case "ratio":
          has(`ROUND(CAST(${value.numerator} AS float) / ${value.denominator}, 6) AS ${target}`, target);
          break;
      }
    }
  });

  it("alias parsing ignores comments and string literals, and a nameless output column is an error", () => {
    const q = "-- FROM Secret INTO Nowhere\nWITH s AS (SELECT a FROM In1)\nSELECT a, 'INTO x' AS b INTO Out1 FROM s";
    assert.deepEqual(queryAliases(q), { inputs: ["In1"], outputs: ["Out1"] });
    assert.deepEqual(outputColumns(q, "Out1"), ["a", "b"]);
    assert.throws(() => outputColumns("SELECT COUNT(*) INTO o FROM i", "o"), /has no name: add AS <column>/);
    assert.throws(() => outputColumns("SELECT a INTO o FROM i", "p"), /no SELECT \.\.\. INTO p/);
  });

  it("local-run samples: the input is what the relay emits, the expected rows have the table's columns", () => {
    const input = JSON.parse(fs.readFileSync(SAMPLE_INPUT_FILE, "utf8")) as Record<string, unknown>[];
    // The relay's own output for these events is the events themselves (same shape, nothing skipped).
    const relayed = relayBatch(input.map((e) => ({ ...e, endpoint: `${String(e.method)} ${String(e.route)}` })));
    assert.equal(relayed.skipped.length, 0);
    for (const e of relayed.events) assert.deepEqual(Object.keys(e).sort(), Object.keys(input[0]).sort());
    const expected = JSON.parse(fs.readFileSync(SAMPLE_OUTPUT_FILE, "utf8")) as Record<string, unknown>[];
    assert.ok(expected.length > 0);
    for (const row of expected)
      assert.deepEqual(
        Object.keys(row),
        table?.columns.map((c) => c.name),
      );
  });
});
