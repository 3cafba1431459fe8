import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { olapModel } from "../../pipelines/model/olap";
import {
  INPUT_ALIAS,
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
