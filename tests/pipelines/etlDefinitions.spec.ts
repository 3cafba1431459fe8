// Structural tests of the Data Factory definitions generated from the model (pipelines/etl): the graph of every
// pipeline, every reference, every column mapped, every procedure called, the schedule, secrets, the committed JSON,
// and a column added to the model flowing through without a hand edit.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { CONTAINERS } from "../../components/nosql";
import { COSMOS_ERASURE } from "../../pipelines/etl/erasure";
import {
  ADF_CREDENTIAL,
  ADF_DEPLOYMENT_LINKED_SERVICES,
  ADF_INTEGRATION_RUNTIME,
  ADF_PIPELINE_MAX_BYTES,
  ADF_LINKED_SERVICES,
  generateAdfDefinitions,
  GLOBAL_PARAMETERS,
  MASTER_PIPELINE,
  olapLoadSchedule,
  PIPELINES,
  TRIGGERS,
  type AdfDefinitions,
  type AdfResource,
} from "../../pipelines/etl";
import {
  BACKOFF_SECONDS,
  copyIntoStatement,
  EXTRACT_ATTEMPTS,
  fullReloadPartitionColumn,
  RUN_DATE,
} from "../../pipelines/etl/extract";
import { POLICIES, SQL_COMMAND_TIMEOUT_SECONDS, timespan, timespanSeconds } from "../../pipelines/etl/adf";
import { extractedTables } from "../../pipelines/etl/groups";
import { pipelineBytes, schemaDeployPipelines, scriptBlocks } from "../../pipelines/etl/operations";
import {
  ADF_DIR,
  checkGenerated,
  describeCheck,
  generateAdfFiles,
  generateAll,
  isUpToDate,
} from "../../pipelines/generate";
import { dataModel } from "../../pipelines/model";
import { stagingChangeColumnNames } from "../../pipelines/model/olap";
import type { DataModel } from "../../pipelines/model/types";
import { strings, withTipAmount } from "./helpers";

type Json = Record<string, unknown>;
const defs = generateAdfDefinitions();
const DEV_SCHEDULE = { timeZone: "W. Europe Standard Time", resumeAt: "07:00", pauseAt: "20:00", weekdaysOnly: true };
const dev = generateAdfDefinitions(dataModel, { poolPauseSchedule: DEV_SCHEDULE });

/** Every activity of a pipeline with the list (container) it belongs to, nested ones included. */
function containers(p: AdfResource): Json[][] {
  const out: Json[][] = [];
  const walk = (list: Json[]) => {
    out.push(list);
    for (const a of list) {
      const tp = (a.typeProperties ?? {}) as Json;
      for (const key of ["ifTrueActivities", "ifFalseActivities", "activities"]) {
        if (Array.isArray(tp[key])) walk(tp[key] as Json[]);
      }
    }
  };
  walk(p.properties.activities as Json[]);
  return out;
}
const activities = (p: AdfResource) => containers(p).flat();
const pipelineOf = (d: AdfDefinitions, name: string) => {
  const p = d.pipelines.find((x) => x.name === name);
  assert.ok(p, `no pipeline ${name}`);
  return p;
};
const activity = (p: AdfResource, name: string) => {
  const a = activities(p).find((x) => x.name === name);
  assert.ok(a, `${p.name}: no activity ${name}`);
  return a;
};
/** Every `{ referenceName, type }` object anywhere in a definition. */
function references(value: unknown, out: { referenceName: string; type: string }[] = []) {
  if (Array.isArray(value)) value.forEach((v) => references(v, out));
  else if (value && typeof value === "object") {
    const o = value as Json;
    if (typeof o.referenceName === "string" && typeof o.type === "string")
      out.push({ referenceName: o.referenceName, type: o.type });
    Object.values(o).forEach((v) => references(v, out));
  }
  return out;
}
function keys(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => keys(v, out));
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      keys(v, out);
    }
  return out;
}

/** Procedures each generated script defines: `[schema].[name]` → the script's target database. */
function definedProcedures(model: DataModel): Set<string> {
  const defined = new Set<string>();
  for (const f of generateAll(model).filter((x) => x.file.endsWith(".sql"))) {
    for (const m of f.content.matchAll(/^ALTER PROCEDURE (\[\w+\]\.\[\w+\])$/gm)) {
      defined.add(`${/^0\d_/.test(f.file) ? "oltp" : "warehouse"} ${m[1]}`);
    }
  }
  return defined;
}

/** Dependencies that name no activity of their container, and cycles, per pipeline. */
function graphProblems(d: AdfDefinitions): string[] {
  const problems: string[] = [];
  for (const p of d.pipelines)
    for (const list of containers(p)) {
      const names = list.map((a) => a.name as string);
      if (new Set(names).size !== names.length) problems.push(`${p.name}: duplicate activity names`);
      const edges = new Map<string, string[]>();
      for (const a of list) {
        const deps = (a.dependsOn as { activity: string; dependencyConditions: string[] }[]) ?? [];
        for (const dep of deps) {
          if (!names.includes(dep.activity))
            problems.push(`${p.name}.${a.name} depends on unknown activity ${dep.activity}`);
          if (
            dep.dependencyConditions.length !== 1 ||
            !["Succeeded", "Failed", "Skipped", "Completed"].includes(dep.dependencyConditions[0])
          )
            problems.push(`${p.name}.${a.name}: dependency condition ${dep.dependencyConditions.join(",")}`);
        }
        edges.set(
          a.name as string,
          deps.map((x) => x.activity).filter((x) => names.includes(x)),
        );
      }
      const state = new Map<string, "visiting" | "done">();
      const visit = (n: string, trail: string[]): boolean => {
        if (state.get(n) === "done") return false;
        if (state.get(n) === "visiting") {
          problems.push(`${p.name}: cycle ${n} → ${trail[trail.indexOf(n) + 1] ?? n} → … → ${n}`);
          return true;
        }
        state.set(n, "visiting");
        const found = (edges.get(n) ?? []).some((m) => visit(m, [...trail, n]));
        state.set(n, "done");
        return found;
      };
      for (const n of names) if (visit(n, [])) break;
    }
  return problems;
}

/** References to datasets, pipelines, linked services, credentials and runtimes that the definitions or the contract lack. */
function referenceProblems(d: AdfDefinitions): string[] {
  const linked = new Set<string>([
    ...Object.values(ADF_LINKED_SERVICES),
    ...Object.values(ADF_DEPLOYMENT_LINKED_SERVICES),
  ]);
  const datasets = new Set(d.datasets.map((x) => x.name));
  const pipelines = new Set(d.pipelines.map((x) => x.name));
  const problems = new Set<string>();
  for (const r of references([d.pipelines, d.datasets, d.triggers])) {
    if (r.type === "DatasetReference" && !datasets.has(r.referenceName))
      problems.add(`dataset ${r.referenceName} does not exist`);
    else if (r.type === "PipelineReference" && !pipelines.has(r.referenceName))
      problems.add(`pipeline ${r.referenceName} does not exist`);
    else if (r.type === "LinkedServiceReference" && !linked.has(r.referenceName))
      problems.add(`linked service ${r.referenceName} is not in the contract`);
    else if (r.type === "CredentialReference" && r.referenceName !== ADF_CREDENTIAL)
      problems.add(`credential ${r.referenceName} is not in the contract`);
    else if (r.type === "IntegrationRuntimeReference" && r.referenceName !== ADF_INTEGRATION_RUNTIME)
      problems.add(`integration runtime ${r.referenceName} is not in the contract`);
    else if (!/^(Dataset|Pipeline|LinkedService|Credential|IntegrationRuntime)Reference$/.test(r.type))
      problems.add(`unexpected reference type ${r.type}`);
  }
  return [...problems];
}

/** Keys and values that look like a secret anywhere in the definitions. */
function secretProblems(d: AdfDefinitions): string[] {
  const badKey = /password|accountKey|connectionString|sasUri|sasToken|servicePrincipalKey|secret|encryptedCredential/i;
  const badValue = /AccountKey=|SharedAccessSignature|[?&]sig=|Password=|pwd=|BEGIN PRIVATE KEY/i;
  return [
    ...keys(d)
      .filter((k) => badKey.test(k))
      .map((k) => `key ${k}`),
    ...strings(d)
      .filter((v) => badValue.test(v))
      .map((v) => `value ${v.slice(0, 80)}`),
  ];
}

describe("pipelines/etl: the generated Data Factory definitions", () => {
  it("holds at least 15 pipelines in prod, one extract per extracted OLTP table, unique names", () => {
    assert.ok(defs.pipelines.length >= 15, `${defs.pipelines.length} pipelines`);
    const names = defs.pipelines.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    const extracted = dataModel.oltp.tables.filter((t) => t.extraction.mode !== "none");
    assert.ok(extracted.length >= 7);
    for (const t of extracted) assert.ok(names.includes(PIPELINES.extract(t.name)), t.name);
    assert.ok(!names.some((n) => /payout|balancetransaction/i.test(n)), "tables the model does not extract");
    assert.deepEqual(generateAdfDefinitions(), defs, "pure and deterministic");
  });

  it("every activity dependency names an activity of the same container, and no container has a cycle", () => {
    for (const d of [defs, dev]) assert.deepEqual(graphProblems(d), []);
  });

  it("every dataset, linked service, pipeline, credential and runtime reference resolves (linked services: the contract's)", () => {
    for (const d of [defs, dev]) assert.deepEqual(referenceProblems(d), []);
    // The nightly pipelines use the ETL identity's linked services only; the deployment ones serve etl_schema_deploy.
    for (const p of defs.pipelines.filter((x) => !x.name.startsWith(PIPELINES.schemaDeploy))) {
      for (const r of references(p)) {
        if (r.type === "LinkedServiceReference")
          assert.ok(
            (Object.values(ADF_LINKED_SERVICES) as string[]).includes(r.referenceName),
            `${p.name}: ${r.referenceName}`,
          );
      }
    }
  });

  it("the graph and reference checkers report planted faults (they can fail)", () => {
    const broken = structuredClone(defs) as AdfDefinitions & { pipelines: AdfResource[] };
    const nightly = broken.pipelines.find((p) => p.name === PIPELINES.nightly) as AdfResource;
    const acts = nightly.properties.activities as Json[];
    const open = acts.find((a) => a.name === "OpenWindows") as Json;
    open.dependsOn = [{ activity: "RefreshAggregates", dependencyConditions: ["Succeeded"] }];
    const begin = acts.find((a) => a.name === "BeginRun") as Json;
    (begin.dependsOn as Json[]).push({ activity: "OpenWindow", dependencyConditions: ["Succeeded"] });
    assert.deepEqual(graphProblems(broken), [
      "etl_nightly_run.BeginRun depends on unknown activity OpenWindow",
      "etl_nightly_run: cycle OpenWindows → RefreshAggregates → … → OpenWindows",
    ]);
    const master = broken.pipelines.find((p) => p.name === MASTER_PIPELINE) as AdfResource;
    ((activities(master).find((a) => a.name === "Run") as Json).typeProperties as Json).pipeline = {
      referenceName: "etl_nightly",
      type: "PipelineReference",
    };
    (broken.datasets as AdfResource[]).splice(0, 1);
    const refs = referenceProblems(broken);
    assert.ok(refs.includes("pipeline etl_nightly does not exist"), refs.join("\n"));
    assert.ok(refs.includes("dataset ds_oltp_sql does not exist"), refs.join("\n"));
  });

  it("every global parameter read is declared, and every declared one is read", () => {
    const used = new Set<string>();
    const offHours = generateAdfDefinitions(dataModel, {
      poolPauseSchedule: { ...DEV_SCHEDULE, alsoStop: ["fraudScoring", "streamingJob", "gateway"] },
    });
    for (const s of strings([dev.pipelines, dev.datasets, dev.triggers, offHours.pipelines, offHours.triggers])) {
      for (const m of s.matchAll(/globalParameters\.(\w+)/g)) used.add(m[1]);
    }
    // The off-hours definitions declare (and read) one more per target; without them, the fixed set.
    assert.deepEqual([...used].sort(), Object.keys(offHours.globalParameters).sort());
    assert.deepEqual(defs.globalParameters, GLOBAL_PARAMETERS);
  });

  it("maps every column on both sides to the model: OLTP (or change metadata) → Parquet → staging", () => {
    for (const x of extractedTables(dataModel)) {
      const p = pipelineOf(defs, PIPELINES.extract(x.table.name));
      const staging = x.staging.columns.map((c) => c.name);
      for (const copy of activities(p).filter((a) => a.type === "Copy")) {
        const mappings = (
          (copy.typeProperties as Json).translator as {
            mappings: { source: { name: string }; sink: { name: string } }[];
          }
        ).mappings;
        assert.deepEqual(
          mappings.map((m) => m.sink.name),
          staging,
          `${p.name}.${copy.name}: sink = staging, in order`,
        );
        for (const m of mappings) {
          assert.ok(
            stagingChangeColumnNames.has(m.source.name) || x.table.columns.some((c) => c.name === m.source.name),
            `${p.name}: ${m.source.name} is not a column of dbo.${x.table.name}`,
          );
          const col = x.table.columns.find((c) => c.name === m.source.name);
          assert.ok(!col?.classification && !col?.encryption, `${m.source.name} is classified: never extracted`);
        }
      }
      const copyInto = activity(p, "CopyIntoStaging");
      const text = ((copyInto.typeProperties as Json).scripts as { text: string }[])[1].text;
      assert.equal(text, copyIntoStatement(x));
      assert.match(
        text,
        new RegExp(`^COPY INTO \\[stg\\]\\.\\[${x.table.name}\\] \\(${staging.map((c) => `\\[${c}\\]`).join(", ")}\\)`),
      );
    }
  });

  it("every stored procedure called is defined by the generated SQL, on the database the activity targets", () => {
    const defined = definedProcedures(dataModel);
    let calls = 0;
    for (const p of [...defs.pipelines, ...dev.pipelines]) {
      for (const a of activities(p)) {
        const tp = a.typeProperties as Json;
        const source = (tp.source ?? {}) as Json;
        const name = (tp.storedProcedureName ?? source.sqlReaderStoredProcedureName) as string | undefined;
        if (!name) continue;
        calls++;
        const ls = ((a.linkedServiceName as Json | undefined)?.referenceName ??
          (tp.dataset as Json | undefined)?.referenceName ??
          (a.inputs as Json[] | undefined)?.[0]?.referenceName) as string;
        const target = [ADF_LINKED_SERVICES.oltp, "ds_oltp_sql"].includes(ls) ? "oltp" : "warehouse";
        assert.ok(
          defined.has(`${target} ${name}`),
          `${p.name}.${a.name} calls ${name}, which the ${target} scripts do not define`,
        );
      }
    }
    assert.ok(calls >= 20, `${calls} procedure calls`);
  });

  it("schedules etl_oltp_to_olap at 02:00 UTC every day, for the day that ended", () => {
    const t = defs.triggers.find(
      (x) => ((x.properties.pipelines as Json[])[0].pipelineReference as Json).referenceName === MASTER_PIPELINE,
    );
    assert.ok(t);
    assert.equal(t.properties.type, "ScheduleTrigger");
    const r = ((t.properties.typeProperties as Json).recurrence ?? {}) as Json;
    assert.deepEqual(
      { frequency: r.frequency, interval: r.interval, timeZone: r.timeZone, schedule: r.schedule },
      { frequency: "Day", interval: 1, timeZone: "UTC", schedule: { hours: [2], minutes: [0] } },
    );
    assert.deepEqual((t.properties.pipelines as Json[])[0].parameters, {
      runDate: "@formatDateTime(addDays(trigger().scheduledTime, -1), 'yyyy-MM-dd')",
    });
    assert.equal(defs.triggers.length, 1, "prod has no pool pause schedule");
  });

  it("carries no secret: no key, password, SAS or connection string anywhere", () => {
    for (const d of [defs, dev]) assert.deepEqual(secretProblems(d), []);
    const planted = structuredClone(defs) as AdfDefinitions & { datasets: AdfResource[] };
    planted.datasets[0].properties.typeProperties = { connectionString: "Server=x;Password=hunter2" };
    assert.deepEqual(secretProblems(planted), ["key connectionString", "value Server=x;Password=hunter2"]);
  });

  it("master: runDate validated, one run at a time, failure path records the reason and fails with it", () => {
    const master = pipelineOf(defs, MASTER_PIPELINE);
    assert.deepEqual(master.properties.parameters, { runDate: { type: "String", defaultValue: "" } });
    assert.equal(master.properties.concurrency, 1);
    const run = activity(master, "Run");
    assert.equal(((run.typeProperties as Json).pipeline as Json).referenceName, PIPELINES.nightly);
    const failed = activities(master).filter((a) => a.type === "Fail");
    assert.ok(failed.length >= 1);
    for (const f of failed) assert.match((f.typeProperties as Json).message as string, /nothing was published/);
    const record = activity(master, "RecordFailure");
    assert.deepEqual(record.dependsOn, [{ activity: "Run", dependencyConditions: ["Failed"] }]);
    // The nightly run extracts every table in parallel, after the windows are open, and gates before publishing.
    const nightly = pipelineOf(defs, PIPELINES.nightly);
    const extracts = activities(nightly).filter((a) => /^Extract_/.test(a.name as string));
    assert.equal(extracts.length, extractedTables(dataModel).length);
    for (const e of extracts)
      assert.deepEqual(e.dependsOn, [{ activity: "BeginRun", dependencyConditions: ["Succeeded"] }]);
    assert.deepEqual(
      (activity(nightly, "DataQuality").dependsOn as { activity: string }[]).map((x) => x.activity).sort(),
      extracts.map((e) => e.name).sort(),
    );
    assert.deepEqual(activity(nightly, "Publish").dependsOn, [
      { activity: "DataQuality", dependencyConditions: ["Succeeded"] },
    ]);
  });

  it("runs each step only after the one it needs succeeded: a failure never advances a window or stages half an extract", () => {
    const after = (p: AdfResource, name: string) => activity(p, name).dependsOn;
    const succeeded = (a: string) => [{ activity: a, dependencyConditions: ["Succeeded"] }];
    const nightly = pipelineOf(defs, PIPELINES.nightly);
    assert.deepEqual(after(nightly, "BeginRun"), succeeded("OpenWindows"), "extracts only inside open windows");
    assert.deepEqual(after(nightly, "RefreshAggregates"), succeeded("Publish"));
    // A failed publish leaves its windows unpublished, so the next run reads their changes again.
    const publish = pipelineOf(defs, PIPELINES.publish);
    assert.deepEqual(after(publish, "MarkPublished"), succeeded("Publish"));
    assert.equal((activity(publish, "Publish").policy as Json).retry, 0, "a failed gate is not retried into a pass");
    // A full reload publishes in batches for hours: the activity waits 12 (a nightly run takes minutes).
    assert.equal((activity(publish, "Publish").policy as Json).timeout, "0.12:00:00");
    for (const x of extractedTables(dataModel)) {
      const p = pipelineOf(defs, PIPELINES.extract(x.table.name));
      assert.deepEqual(after(p, "Stage"), succeeded("Extracted"), `${x.table.name}: staged only after its extract`);
      for (const record of ["RecordStaged", "RecordExtraction"])
        assert.deepEqual(after(p, record), succeeded("Stage"), `${x.table.name}: ${record}`);
      // A full reload reads one consistent snapshot of the table.
      const full = activity(p, "CopyFull").typeProperties as Json;
      assert.equal((full.source as Json).isolationLevel, "Snapshot", `${x.table.name}: full reload`);
    }
    const refresh = pipelineOf(defs, PIPELINES.refreshAggregates);
    assert.deepEqual(after(refresh, "Refresh"), succeeded("CompactStreamFacts"));
    // A backfill replays its days one after the other, as the nightly runs would have.
    const each = activity(pipelineOf(defs, PIPELINES.backfill), "EachDate");
    assert.equal((each.typeProperties as Json).isSequential, true);
    // Without a runDate the master loads the day that ended, not today's partial one.
    const master = JSON.stringify(pipelineOf(defs, PIPELINES.master));
    assert.ok(master.includes("formatDateTime(addDays(utcNow(), -1), 'yyyy-MM-dd')"), "yesterday by default");
  });

  it("retries idempotent SQL steps, never a verdict, and tries an extract EXTRACT_ATTEMPTS times", () => {
    assert.deepEqual(
      [POLICIES.sql.retry, POLICIES.load.retry, POLICIES.copy.retry, POLICIES.verdict.retry, POLICIES.publish.retry],
      [2, 1, 0, 0, 0],
    );
    assert.equal(
      (activity(pipelineOf(defs, PIPELINES.publish), "Publish").policy as Json).retry,
      POLICIES.publish.retry,
    );
    assert.equal((activity(pipelineOf(defs, PIPELINES.dataQuality), "CheckStaging").policy as Json).retry, 0);
    const nightly = pipelineOf(defs, PIPELINES.nightly);
    for (const name of ["OpenWindows", "BeginRun"])
      assert.equal((activity(nightly, name).policy as Json).retry, POLICIES.sql.retry, name);
    // Attempts counted from 1, the loop ending once the count passes EXTRACT_ATTEMPTS: that many copies at most.
    assert.equal(EXTRACT_ATTEMPTS, 4);
    for (const x of extractedTables(dataModel)) {
      const p = pipelineOf(defs, PIPELINES.extract(x.table.name));
      const loop = activity(p, "ExtractWithBackoff").typeProperties as Json;
      assert.equal(
        (loop.expression as Json).value,
        `@or(equals(variables('done'), 'yes'), greater(int(variables('attempt')), ${EXTRACT_ATTEMPTS}))`,
      );
      assert.equal(((p.properties.variables as Json).attempt as Json).defaultValue, "1");
    }
  });

  it("reads and writes ADF timespans (d.hh:mm:ss)", () => {
    assert.equal(timespanSeconds("0.02:00:00"), 7200);
    assert.equal(timespanSeconds("1.00:00:01"), 86401);
    assert.equal(timespanSeconds("00:30:00"), 1800);
    assert.equal(timespan(4 * 7200 + 630 + 900), "0.08:25:30");
    assert.equal(timespan(86401), "1.00:00:01");
    assert.throws(() => timespanSeconds("2h"), /not an ADF timespan/);
  });

  it("extracts retry with back-off before failing, and validate runDate before it reaches SQL text", () => {
    const p = pipelineOf(defs, PIPELINES.extract("Payment"));
    const loop = activity(p, "ExtractWithBackoff");
    assert.equal(loop.type, "Until");
    // The loop's timeout is the loop's, not an attempt's: room for every attempt's copy to run to its own timeout,
    // plus the back-offs (a shorter one cut the attempts after one hung copy).
    const copies: Json[] = [];
    const walk = (acts: Json[]) =>
      acts.forEach((a) => {
        if (a.type === "Copy") copies.push(a);
        const tp = (a.typeProperties ?? {}) as Json;
        for (const k of ["activities", "ifTrueActivities", "ifFalseActivities"])
          if (Array.isArray(tp[k])) walk(tp[k] as Json[]);
      });
    walk(((loop.typeProperties as Json).activities ?? []) as Json[]);
    assert.ok(copies.length >= 2, "full and changes copies in the loop");
    const longestCopy = Math.max(...copies.map((c) => timespanSeconds(String((c.policy as Json).timeout))));
    assert.ok(
      timespanSeconds(String((loop.typeProperties as Json).timeout)) >=
        EXTRACT_ATTEMPTS * longestCopy + BACKOFF_SECONDS.reduce((a, b) => a + b, 0),
      `loop timeout ${String((loop.typeProperties as Json).timeout)}`,
    );
    assert.equal(activity(p, "BackOff").type, "Wait");
    assert.match(JSON.stringify(activity(p, "BackOff").typeProperties), /30.*120.*480/);
    // After the last attempt the wait is a token second, never 0 (the Wait activity's schema asks for a duration).
    assert.match(
      String(((activity(p, "BackOff").typeProperties as Json).waitTimeInSeconds as Json).value),
      /^@if\(greaterOrEquals\(int\(variables\('attempt'\)\), \d+\), 1, /,
    );
    // The loop's own outcome does not decide: a failed attempt followed by a good one continues, `done` decides.
    assert.deepEqual(activity(p, "Extracted").dependsOn, [
      { activity: "ExtractWithBackoff", dependencyConditions: ["Completed"] },
    ]);
    assert.match(
      JSON.stringify((activity(p, "Extracted").typeProperties as Json).expression),
      /equals\(variables\('done'\), 'yes'\)/,
    );
    for (const s of strings(p).filter((x) => x.includes("runDate"))) {
      assert.ok(!/parameters\.runDate/.test(s) || s.includes(RUN_DATE), `unvalidated runDate in: ${s.slice(0, 120)}`);
    }
  });

  it("dev: pool pause and resume on the stack's schedule, and the nightly run resumes the pool first", () => {
    const names = dev.triggers.map((t) => t.name).sort();
    assert.equal(names.length, 3);
    const resume = dev.triggers.find(
      (t) => ((t.properties.pipelines as Json[])[0].pipelineReference as Json).referenceName === PIPELINES.poolResume,
    );
    const r = ((resume?.properties.typeProperties as Json).recurrence ?? {}) as Json;
    assert.equal(r.frequency, "Week");
    assert.equal(r.timeZone, "W. Europe Standard Time");
    assert.deepEqual(r.schedule, {
      hours: [7],
      minutes: [0],
      weekDays: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
    });
    const master = pipelineOf(dev, MASTER_PIPELINE);
    assert.deepEqual(activity(master, "Run").dependsOn, [
      { activity: "ResumePool", dependencyConditions: ["Succeeded"] },
    ]);
    // …and puts it back to sleep when it was asleep, whatever the outcome, after the last pool query of the path
    // taken (a pause while the run's result is read or its failure recorded would cancel that query).
    const pauses = activities(master).filter(
      (a) => a.type === "IfCondition" && /^PauseIfItWasPaused/.test(a.name as string),
    );
    assert.deepEqual(
      pauses.map((a) => a.dependsOn),
      [
        [{ activity: "Result", dependencyConditions: ["Completed"] }],
        [{ activity: "FailureResult", dependencyConditions: ["Completed"] }],
        [{ activity: "RecordFailure", dependencyConditions: ["Failed"] }],
      ],
    );
    // Every activity that queries the pool after the run is one of those three (or runs before one of them).
    const poolQueries = activities(master)
      .filter((a) => ["Lookup", "SqlServerStoredProcedure"].includes(a.type as string))
      .map((a) => a.name);
    assert.deepEqual(poolQueries.sort(), ["FailureResult", "RecordFailure", "Result"]);
    for (const p of pauses) {
      const inner = ((p.typeProperties as Json).ifTrueActivities as Json[])[0];
      assert.equal(((inner.typeProperties as Json).pipeline as Json).referenceName, PIPELINES.poolPause);
    }
    assert.ok(!activities(pipelineOf(defs, MASTER_PIPELINE)).some((a) => /Pool/.test(a.name as string)), "not in prod");
    // Without a schedule (prod) nothing may pause the reserved pool: the factory's identity has no pool-operator role
    // there, so the pause and resume pipelines would only fail with 403. They exist where the pool pauses.
    const pipelineNames = (d: typeof defs) => d.pipelines.map((p) => p.name);
    assert.ok(
      !pipelineNames(defs).includes(PIPELINES.poolPause) && !pipelineNames(defs).includes(PIPELINES.poolResume),
    );
    assert.ok(pipelineNames(dev).includes(PIPELINES.poolPause) && pipelineNames(dev).includes(PIPELINES.poolResume));
    const web = activities(pipelineOf(dev, PIPELINES.poolPause)).filter((a) => a.type === "WebActivity");
    assert.ok(
      web.some(
        (a) =>
          (a.typeProperties as Json).method === "POST" &&
          /\/pause\?api-version=2021-06-01/.test((a.typeProperties as Json).url as string),
      ),
    );
    for (const a of web)
      assert.equal(((a.typeProperties as Json).authentication as Json).type, "UserAssignedManagedIdentity");
    // The POST's 202 completes it (the status loop watches the pool): its Location is not the pool-operator role's.
    for (const p of [PIPELINES.poolPause, PIPELINES.poolResume]) {
      const posts = activities(pipelineOf(dev, p)).filter(
        (a) => a.type === "WebActivity" && (a.typeProperties as Json).method === "POST",
      );
      assert.equal(posts.length, 1, p);
      assert.equal((posts[0].typeProperties as Json).turnOffAsync, true, p);
    }
    assert.throws(
      () =>
        generateAdfDefinitions(dataModel, {
          poolPauseSchedule: { timeZone: "UTC", resumeAt: "7h", pauseAt: "20:00", weekdaysOnly: false },
        }),
      /olap\.pauseSchedule: '7h' is not a time of day \(HH:mm\)/,
    );
  });

  describe("off hours (olap.pauseSchedule.alsoStop)", () => {
    const schedule = { timeZone: "W. Europe Standard Time", resumeAt: "07:00", pauseAt: "19:00", weekdaysOnly: true };
    const both = generateAdfDefinitions(dataModel, {
      poolPauseSchedule: { ...schedule, alsoStop: ["fraudScoring", "streamingJob"] },
    });
    const tp = (a: Json) => a.typeProperties as Json;
    it("adds nothing when the schedule stops nothing: no pipeline, trigger or global parameter", () => {
      for (const d of [
        defs,
        dev,
        generateAdfDefinitions(dataModel, { poolPauseSchedule: { ...schedule, alsoStop: [] } }),
      ]) {
        assert.ok(!d.pipelines.some((p) => /offhours/.test(p.name)));
        assert.ok(!d.triggers.some((t) => /offhours/.test(t.name)));
        assert.ok(
          !("fraudScoringAppResourceId" in d.globalParameters) && !("streamingJobResourceId" in d.globalParameters),
        );
      }
    });
    it("starts at resumeAt and stops at pauseAt, on the pool's days and time zone", () => {
      const at = (name: string) => {
        const t = both.triggers.find((x) => x.name === name)!;
        assert.equal(
          ((t.properties.pipelines as Json[])[0].pipelineReference as Json).referenceName,
          name === TRIGGERS.offHoursStop ? PIPELINES.offHoursStop : PIPELINES.offHoursStart,
        );
        return tp(t.properties as Json).recurrence as Json;
      };
      const weekDays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];
      assert.deepEqual(at(TRIGGERS.offHoursStart).schedule, { hours: [7], minutes: [0], weekDays });
      assert.deepEqual(at(TRIGGERS.offHoursStop).schedule, { hours: [19], minutes: [0], weekDays });
      assert.equal(at(TRIGGERS.offHoursStop).timeZone, "W. Europe Standard Time");
      assert.deepEqual(
        Object.keys(both.globalParameters)
          .filter((k) => k.endsWith("ResourceId"))
          .sort(),
        ["fraudScoringAppResourceId", "sqlPoolResourceId", "streamingJobResourceId"],
      );
    });
    it("stops the function app (idempotent site action) and the job only when it runs, then waits for it", () => {
      const stop = pipelineOf(both, PIPELINES.offHoursStop);
      const app = activity(stop, "Stop_fraudScoring");
      assert.equal(tp(app).method, "POST");
      assert.match(tp(app).url as string, /fraudScoringAppResourceId, '\/stop\?api-version=2024-04-01'\)$/);
      assert.equal(((tp(app).authentication as Json).credential as Json).referenceName, ADF_CREDENTIAL);
      // One loop: look at the job (its state kept in a variable), stop it once when it runs, wait; until it is
      // stopped. A job caught restarting or scaling at 19:00 is stopped once it settles instead of being skipped (and
      // billed all night); a failed look keeps the last state and waits before looking again.
      const loop = activity(stop, "Until_Stop_streamingJob");
      assert.equal(loop.type, "Until");
      assert.equal(
        (tp(loop).expression as Json).value,
        "@contains(createArray('Stopped', 'Created', 'Failed'), variables('state_streamingJob'))",
      );
      assert.equal(tp(loop).timeout, "0.00:30:00");
      assert.deepEqual(
        (tp(loop).activities as Json[]).map((a) => [a.name, a.type, a.dependsOn]),
        [
          ["Status_streamingJob", "WebActivity", []],
          [
            "State_streamingJob",
            "SetVariable",
            [{ activity: "Status_streamingJob", dependencyConditions: ["Succeeded"] }],
          ],
          [
            "If_Stop_streamingJob",
            "IfCondition",
            [{ activity: "State_streamingJob", dependencyConditions: ["Succeeded"] }],
          ],
          ["Wait_streamingJob", "Wait", [{ activity: "Status_streamingJob", dependencyConditions: ["Completed"] }]],
        ],
      );
      assert.deepEqual(tp(activity(stop, "State_streamingJob")), {
        variableName: "state_streamingJob",
        value: "@string(activity('Status_streamingJob').output.properties.jobState)",
      });
      assert.deepEqual(stop.properties.variables, {
        state_streamingJob: { type: "String", defaultValue: "" },
        acted_streamingJob: { type: "String", defaultValue: "" },
      });
      assert.match(tp(activity(stop, "Status_streamingJob")).url as string, /streamingJobResourceId, '\?api-version/);
      const guard = activity(stop, "If_Stop_streamingJob");
      // Once: a job that does not get there is not sent the action again (the loop times out and the run fails).
      assert.equal(
        (tp(guard).expression as Json).value,
        "@and(empty(variables('acted_streamingJob')), contains(createArray('Running', 'Degraded'), variables('state_streamingJob')))",
      );
      const job = activity(stop, "Stop_streamingJob");
      assert.deepEqual(
        ((tp(guard).ifTrueActivities as Json[]) ?? []).map((a) => [a.name, a.dependsOn]),
        [
          ["Stop_streamingJob", []],
          ["Acted_streamingJob", [{ activity: "Stop_streamingJob", dependencyConditions: ["Succeeded"] }]],
        ],
      );
      assert.match(tp(job).url as string, /streamingJobResourceId, '\/stop\?api-version=2020-03-01'\)$/);
      // The 202's operation result is not polled (it needs rights the role does not grant): the job's state is.
      assert.equal(tp(job).turnOffAsync, true);
      // Nesting Data Factory accepts: an If inside an Until, nothing inside the If but the action.
      for (const c of containers(stop))
        for (const a of c)
          if (a.type === "IfCondition")
            assert.ok(
              [...((tp(a).ifTrueActivities as Json[]) ?? []), ...((tp(a).ifFalseActivities as Json[]) ?? [])].every(
                (x) => !["IfCondition", "Switch", "Until", "ForEach"].includes(x.type as string),
              ),
            );
      // The app's stop does not wait for the job's (one failing leaves the other to do its part).
      assert.deepEqual(app.dependsOn, []);
    });
    it("starts the job from now (JobStartTime) when it is stopped, and the app", () => {
      const start = pipelineOf(both, PIPELINES.offHoursStart);
      assert.match(tp(activity(start, "Start_fraudScoring")).url as string, /\/start\?api-version=2024-04-01/);
      assert.equal(tp(activity(start, "Start_streamingJob")).body, JSON.stringify({ outputStartMode: "JobStartTime" }));
      assert.match(
        (tp(activity(start, "If_Start_streamingJob")).expression as Json).value as string,
        /createArray\('Created', 'Stopped', 'Failed'\)/,
      );
      assert.match(
        (tp(activity(start, "Until_Start_streamingJob")).expression as Json).value as string,
        /^@contains\(createArray\('Running', 'Degraded'\), variables\('state_streamingJob'\)\)$/,
      );
    });
    it("resumePool false: the pool is only paused at pauseAt (resumed on demand), the others still start at resumeAt", () => {
      const onDemand = generateAdfDefinitions(dataModel, {
        poolPauseSchedule: { ...schedule, resumePool: false, alsoStop: ["streamingJob"] },
      });
      assert.deepEqual(
        onDemand.triggers.map((t) => t.name).sort(),
        [TRIGGERS.offHoursStart, TRIGGERS.offHoursStop, TRIGGERS.nightly, TRIGGERS.poolPause].sort(),
      );
    });
    it("stops the gateway once it runs and starts it once it is stopped, looking at its operational state", () => {
      const gw = generateAdfDefinitions(dataModel, { poolPauseSchedule: { ...schedule, alsoStop: ["gateway"] } });
      assert.ok("gatewayResourceId" in gw.globalParameters);
      const stop = pipelineOf(gw, PIPELINES.offHoursStop);
      assert.equal(
        (tp(activity(stop, "Until_Stop_gateway")).expression as Json).value,
        "@contains(createArray('Stopped'), variables('state_gateway'))",
      );
      assert.equal(
        tp(activity(stop, "State_gateway")).value,
        "@string(activity('Status_gateway').output.properties.operationalState)",
      );
      assert.equal(
        (tp(activity(stop, "If_Stop_gateway")).expression as Json).value,
        "@and(empty(variables('acted_gateway')), contains(createArray('Running'), variables('state_gateway')))",
      );
      const post = activity(stop, "Stop_gateway");
      assert.match(tp(post).url as string, /gatewayResourceId, '\/stop\?api-version=2024-05-01'\)$/);
      assert.equal(tp(post).body, "{}");
      assert.equal(tp(post).turnOffAsync, true, "a long-running stop: the loop looks at the gateway's state instead");
      const start = pipelineOf(gw, PIPELINES.offHoursStart);
      assert.match(
        (tp(activity(start, "If_Start_gateway")).expression as Json).value as string,
        /createArray\('Stopped'\)/,
      );
      assert.equal(tp(activity(start, "Start_gateway")).body, "{}", "no job start mode for a gateway");
      assert.deepEqual(
        activities(stop)
          .map((a) => a.name as string)
          .sort(),
        [
          "Acted_gateway",
          "If_Stop_gateway",
          "State_gateway",
          "Status_gateway",
          "Stop_gateway",
          "Until_Stop_gateway",
          "Wait_gateway",
        ],
      );
    });
    it("stops only what alsoStop names", () => {
      const job = generateAdfDefinitions(dataModel, { poolPauseSchedule: { ...schedule, alsoStop: ["streamingJob"] } });
      const names = activities(pipelineOf(job, PIPELINES.offHoursStop)).map((a) => a.name as string);
      assert.ok(names.includes("Stop_streamingJob") && !names.some((n) => /fraudScoring/.test(n)));
      assert.ok(!("fraudScoringAppResourceId" in job.globalParameters));
    });
  });

  /** The Script activities the schema deployment runs, in order: its parts' scripts in the order it runs them. */
  const schemaScripts = (d: AdfDefinitions) =>
    activities(pipelineOf(d, PIPELINES.schemaDeploy)).flatMap((run) => {
      const ref = ((run.typeProperties as Json).pipeline as Json).referenceName as string;
      return activities(pipelineOf(d, ref)).filter((a) => a.type === "Script");
    });

  it("schema deployment applies every generated .sql file in order, one block per batch, sqlcmd variables bound", () => {
    const sql = generateAll(dataModel).filter((f) => f.file.endsWith(".sql"));
    const scripts = schemaScripts(defs);
    assert.deepEqual(
      scripts.map((a) => a.description),
      sql.map((f) => `pipelines/sql/${f.file}`),
    );
    for (const f of sql) {
      const blocks = scriptBlocks(f);
      assert.equal(
        blocks.length,
        f.content.split(/^GO$/m).filter((b) => b.trim() && !/^(--[^\n]*\n?)*$/.test(b.trim())).length,
      );
      for (const b of blocks) assert.doesNotMatch(b, /\$\(|^GO$/m, f.file);
    }
    const all = JSON.stringify(scripts);
    assert.match(all, /CREATE USER \[@\{pipeline\(\)\.globalParameters\.etlPrincipalName\}\] FROM EXTERNAL PROVIDER/);
    assert.match(all, /EXEC sys\.sp_cdc_enable_db/);
  });

  it("keeps every pipeline under Data Factory's 200 KB per pipeline object, in both stacks' definitions", () => {
    for (const d of [defs, dev]) {
      for (const p of d.pipelines)
        assert.ok(pipelineBytes(p) <= ADF_PIPELINE_MAX_BYTES, `${p.name}: ${pipelineBytes(p)} bytes`);
    }
    // The whole generated SQL is over the limit: it is applied in parts, each target's after the other, in order.
    const sql = generateAll(dataModel).filter((f) => f.file.endsWith(".sql"));
    assert.ok(sql.reduce((n, f) => n + Buffer.byteLength(f.content), 0) > ADF_PIPELINE_MAX_BYTES);
    const runs = activities(pipelineOf(defs, PIPELINES.schemaDeploy));
    assert.ok(runs.every((a) => a.type === "ExecutePipeline" && (a.typeProperties as Json).waitOnCompletion === true));
    runs
      .slice(1)
      .forEach((a, i) =>
        assert.deepEqual(a.dependsOn, [{ activity: runs[i].name, dependencyConditions: ["Succeeded"] }]),
      );
  });

  it("packs the schema deployment into parts under the budget, in file order, and names a file too large alone", () => {
    const sql = generateAll(dataModel).filter((f) => f.file.endsWith(".sql"));
    const budget = 80 * 1024;
    const [parent, ...parts] = schemaDeployPipelines(sql, budget);
    assert.equal(parent.name, PIPELINES.schemaDeploy);
    assert.ok(parts.length > 2, `${parts.length} parts`);
    for (const [i, p] of parts.entries()) {
      assert.ok(pipelineBytes(p) <= budget, `${p.name}: ${pipelineBytes(p)}`);
      // Full: the next part's first file would have taken this one past the budget (each part as large as it can be).
      const next = parts[i + 1];
      if (next && next.name.replace(/_\d+$/, "") === p.name.replace(/_\d+$/, "")) {
        const [first] = activities(next);
        const acts = activities(p);
        const grown = {
          ...p,
          properties: {
            ...p.properties,
            description: String(p.properties.description).replace(/\.$/, `, ${String(first.description)}.`),
            activities: [
              ...acts,
              { ...first, dependsOn: [{ activity: acts[acts.length - 1].name, dependencyConditions: ["Succeeded"] }] },
            ],
          },
        };
        assert.ok(pipelineBytes(grown) > budget, `${p.name} could have taken ${String(first.description)}`);
      }
      assert.match(p.name, /^etl_schema_deploy_(oltp|warehouse)_\d+$/);
      // Within a part, each script waits for the one before it.
      const acts = activities(p);
      acts.slice(1).forEach((a, i) => assert.equal((a.dependsOn as Json[])[0].activity, acts[i].name));
    }
    const d = { ...defs, pipelines: [parent, ...parts] };
    assert.deepEqual(
      schemaScripts(d).map((a) => a.description),
      sql.map((f) => `pipelines/sql/${f.file}`),
    );
    // The OLTP database's parts all run before the pool's.
    const order = activities(parent).map((a) => ((a.typeProperties as Json).pipeline as Json).referenceName as string);
    const firstPool = order.findIndex((n) => n.includes("warehouse"));
    assert.ok(firstPool > 0 && order.slice(firstPool).every((n) => n.includes("warehouse")), order.join(", "));
    // Exact to the byte: at a budget of a part's own size the part is the same, and one byte less splits it earlier.
    for (const b of [budget, 120 * 1024, 180 * 1024]) {
      const [, first] = schemaDeployPipelines(sql, b);
      const exact = pipelineBytes(first);
      assert.deepEqual(schemaDeployPipelines(sql, exact)[1], first, `budget ${exact}`);
      const under = schemaDeployPipelines(sql, exact - 1)[1];
      assert.ok(activities(under).length < activities(first).length, `budget ${exact - 1}`);
    }
    assert.throws(
      () => schemaDeployPipelines(sql, 2 * 1024),
      /pipelines\/sql\/\S+\.sql alone makes a \d+-byte Data Factory pipeline, over the 2048-byte budget/,
    );
  });

  it("writes every expression well-formed: balanced parentheses and quotes, known functions only", () => {
    // Data Factory's expression language functions the generator uses (misspell one and the deploy fails).
    const known = new Set(
      "activity add addDays and bool coalesce concat contains createArray dataset div empty equals formatDateTime greater greaterOrEquals if int item length not or pipeline range string sub ticks trigger utcNow variables".split(
        " ",
      ),
    );
    const problems: string[] = [];
    const offHours = generateAdfDefinitions(dataModel, {
      poolPauseSchedule: { ...DEV_SCHEDULE, alsoStop: ["fraudScoring", "streamingJob"] },
    });
    for (const s of strings([dev.pipelines, dev.datasets, dev.triggers, offHours.pipelines, offHours.triggers])) {
      const exprs: string[] = [];
      if (s.startsWith("@") && !s.startsWith("@@") && !s.startsWith("@{")) exprs.push(s.slice(1));
      for (const m of s.matchAll(/@\{([^}]*)\}/g)) exprs.push(m[1]);
      for (const e of exprs) {
        let depth = 0;
        let quoted = false;
        let code = "";
        for (let i = 0; i < e.length; i++) {
          const c = e[i];
          if (quoted) {
            if (c === "'" && e[i + 1] === "'") i++;
            else if (c === "'") quoted = false;
            continue;
          }
          if (c === "'") quoted = true;
          else if (c === "(") depth++;
          else if (c === ")") depth--;
          if (depth < 0) break;
          code += c;
        }
        if (depth !== 0 || quoted) problems.push(`unbalanced: ${e.slice(0, 100)}`);
        for (const m of code.matchAll(/([A-Za-z]\w*)\(/g))
          if (!known.has(m[1])) problems.push(`unknown function ${m[1]} in ${e.slice(0, 100)}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it("binds a script's sqlcmd variables to global parameters, and refuses what Data Factory would misread", () => {
    const f = (content: string) => ({ file: "x.sql", content });
    assert.deepEqual(
      scriptBlocks(f("-- header\n\nCREATE USER [$(EtlPrincipalName)];\nGO\n\n-- only a comment\nGO\n")),
      ["-- header\n\nCREATE USER [@{pipeline().globalParameters.etlPrincipalName}];"],
    );
    assert.deepEqual(scriptBlocks(f("@x = 1;\nGO\n")), ["@@x = 1;"], "a leading @ is escaped");
    assert.throws(() => scriptBlocks(f("SELECT '@{x}';\nGO\n")), /'@\{' would be read as a Data Factory expression/);
    assert.throws(
      () => scriptBlocks(f("SELECT '$(Other)';\nGO\n")),
      /sqlcmd variable \$\(Other\) has no global parameter/,
    );
  });

  it("reads a full reload in key ranges only where Data Factory can range-partition the key's type", () => {
    // DynamicRange takes an integer or date/time column only (connector-azure-sql-database, partitionColumnName):
    // Currency's CHAR(3) key would fail the copy at run time, every night until the window is published.
    const allowed = new Set(["int", "smallint", "bigint", "date", "datetime2"]);
    for (const x of extractedTables(dataModel)) {
      const copy = activity(pipelineOf(defs, PIPELINES.extract(x.table.name)), "CopyFull");
      const source = (copy.typeProperties as Json).source as Json;
      const key = x.table.primaryKey.columns[0];
      const keyType = x.table.columns.find((c) => c.name === key)?.type.kind ?? "";
      if (allowed.has(keyType)) {
        assert.equal(source.partitionOption, "DynamicRange", x.table.name);
        assert.deepEqual(source.partitionSettings, { partitionColumnName: key }, x.table.name);
        assert.match(source.sqlReaderQuery as string, /WHERE \?AdfDynamicRangePartitionCondition$/, x.table.name);
      } else {
        assert.equal(source.partitionOption, "None", x.table.name);
        assert.equal(source.partitionSettings, undefined, x.table.name);
        assert.doesNotMatch(source.sqlReaderQuery as string, /AdfDynamicRangePartitionCondition/, x.table.name);
        assert.equal((copy.typeProperties as Json).parallelCopies, undefined, x.table.name);
      }
    }
    const currency = dataModel.oltp.tables.find((t) => t.name === "Currency");
    const payment = dataModel.oltp.tables.find((t) => t.name === "Payment");
    assert.ok(currency && payment);
    assert.equal(fullReloadPartitionColumn(currency), undefined, "CHAR(3) key: one read");
    assert.equal(fullReloadPartitionColumn(payment), payment.primaryKey.columns[0]);
  });

  it("pipelines/adf matches the model (run `npm run sql:generate` after a model change)", () => {
    const result = checkGenerated(ADF_DIR, generateAdfFiles(dataModel), [".json"]);
    assert.ok(isUpToDate(result), describeCheck(result, "pipelines/adf"));
  });

  it("carries a column added to the model into the extract, the staging COPY, the load and the Data Factory JSON", () => {
    const model = withTipAmount();
    const changed = generateAdfDefinitions(model);
    const extract = pipelineOf(changed, PIPELINES.extract("Payment"));
    for (const copy of activities(extract).filter((a) => a.type === "Copy")) {
      assert.ok(JSON.stringify(copy).includes('"sink":{"name":"TipAmountMinor"}'), copy.name as string);
    }
    assert.match(JSON.stringify(activity(extract, "CopyIntoStaging")), /\[TipAmountMinor\]/);
    assert.match(JSON.stringify(activity(extract, "CopyFull")), /t\.\[TipAmountMinor\]/);
    const sql = generateAll(model);
    const oltp = sql.find((f) => f.file === "05_oltp_etl_extraction.sql")?.content ?? "";
    const pool = sql.find((f) => f.file === "14_olap_etl_load.sql")?.content ?? "";
    const extractPayment = oltp.slice(oltp.indexOf("ALTER PROCEDURE [etl].[usp_Extract_Payment]"));
    assert.match(extractPayment.slice(0, extractPayment.indexOf("\nGO\n")), /\[TipAmountMinor\] BIGINT NULL,/);
    assert.match(pool, /CAST\(\[Payment\]\.\[TipAmountMinor\] AS BIGINT\) AS \[TipAmountMinor\]/);
    assert.match(pool, /'amounts_per_day', N'Fact_Payment\.TipAmountMinor'/);
    assert.match(pool, /INSERT INTO \[dbo\]\.\[Fact_Payment\] \([^)]*\[TipAmountMinor\]/);
    // …and nothing else changed shape: only the Payment extract's columns moved.
    const before = generateAdfDefinitions();
    for (const p of before.pipelines.filter(
      (x) => x.name !== PIPELINES.extract("Payment") && !x.name.startsWith(PIPELINES.schemaDeploy),
    )) {
      assert.deepEqual(pipelineOf(changed, p.name), p, p.name);
    }
  });
});

describe("pipelines/etl: GDPR erasure against the stores it erases", () => {
  it("targets Cosmos DB containers that exist, by an indexed field, keeping their partition key, with TTL on in both stacks", () => {
    const containers = Object.entries(CONTAINERS);
    for (const target of [...COSMOS_ERASURE.bySubject, ...COSMOS_ERASURE.byReference]) {
      const found = containers.find(([, c]) => c.id === target.container);
      assert.ok(found, `${target.container} is not a container of the NoSQL tier`);
      const [key, design] = found;
      assert.deepEqual(
        design.partitionKey.paths.map((p) => p.slice(1)),
        target.partitionKeys,
        `${target.container}: the stub keeps the partition key`,
      );
      assert.ok(
        design.includedPaths.includes(`/${target.field}/?`) || design.includedPaths.includes("/*"),
        `${target.container}: ${target.field} must be indexed (the query filters on it)`,
      );
      // `ttl: 1` only expires an item when the container has TTL on (defaultTtl set).
      for (const stack of ["dev", "prod"]) {
        const yaml = fs.readFileSync(path.join(__dirname, "..", "..", `Pulumi.${stack}.yaml`), "utf8");
        const block = yaml.slice(yaml.indexOf(`${key}:`), yaml.indexOf(`${key}:`) + 200);
        assert.match(block, /ttlSeconds: \d+/, `${stack}: ${target.container} has TTL on`);
      }
    }
  });

  it("erases through every store in one pipeline, audits each, hides the customer id from the run history", () => {
    const p = pipelineOf(defs, PIPELINES.erasure);
    const names = activities(p).map((a) => a.name as string);
    for (const n of [
      "EraseOltp",
      "EraseWarehouse",
      "Expire_sessions",
      "Expire_fraud_features",
      "DeletePartition",
      "ForgetPartitions",
    ])
      assert.ok(names.includes(n), n);
    // Every step that sees the id hides its input and output, the Set Variable that validates it included, and the
    // parameter itself is a SecureString: the id is in neither the run history nor ADFPipelineRun/ADFActivityRun.
    const seeing = activities(p).filter((x) => JSON.stringify(x.typeProperties).includes("customerId"));
    assert.ok(seeing.some((a) => a.type === "SetVariable"));
    for (const a of seeing) {
      const policy = (a.policy ?? {}) as Json;
      assert.deepEqual([policy.secureInput, policy.secureOutput], [true, true], `${a.name}: secure input and output`);
    }
    // So does every step that reads what a secured lookup returned about the customer (Microsoft: "Any further
    // activities that consume this value should have their Secure Input option set to true"): the lake partitions'
    // paths say on which dates the customer's rows changed.
    for (const [lookup, loop] of [["LakePartitions", "EachPartition"]]) {
      assert.deepEqual(((activity(p, lookup).policy ?? {}) as Json).secureOutput, true, lookup);
      const inside = JSON.stringify(activity(p, loop).typeProperties);
      const nested = [
        ...inside.matchAll(
          /"name":"(\w+)","type":"(GetMetadata|Delete|Copy|Lookup|SqlServerStoredProcedure|Script)"[^]*?"policy":(\{[^}]*\})/g,
        ),
      ];
      assert.ok(nested.length >= 2, `${loop}: ${nested.map((m) => m[1]).join(", ")}`);
      for (const [, name, , policy] of nested) {
        const pol = JSON.parse(policy) as Json;
        assert.deepEqual([pol.secureInput, pol.secureOutput], [true, true], `${loop}/${name}: secure input and output`);
      }
    }
    assert.deepEqual((p.properties.parameters as Json).customerId, { type: "SecureString" });
    assert.equal(activity(p, "CustomerId").type, "SetVariable");
    assert.match(JSON.stringify(activity(p, "CustomerId")), /string\(int\(pipeline\(\)\.parameters\.customerId\)\)/);
  });

  it("erases a merchant's contact person in its own pipeline: the generated procedure, the merchant id kept secret", () => {
    const p = pipelineOf(defs, PIPELINES.subjectErasure("MerchantContact"));
    assert.equal(p.name, "gdpr_erasure_merchant_contact");
    assert.equal((p.properties.folder as Json).name, "gdpr");
    assert.deepEqual((p.properties.parameters as Json).merchantId, { type: "SecureString" });
    const erase = activity(p, "EraseOltp");
    assert.equal((erase.typeProperties as Json).storedProcedureName, "[etl].[usp_EraseMerchantContact]");
    assert.deepEqual(((erase.typeProperties as Json).storedProcedureParameters as Json).MerchantId, {
      value: "@variables('merchantId')",
      type: "Int64",
    });
    assert.match(JSON.stringify(activity(p, "MerchantId")), /string\(int\(pipeline\(\)\.parameters\.merchantId\)\)/);
    for (const a of activities(p).filter((x) => JSON.stringify(x.typeProperties).includes("merchantId"))) {
      const policy = (a.policy ?? {}) as Json;
      assert.deepEqual([policy.secureInput, policy.secureOutput], [true, true], `${a.name}: secure input and output`);
    }
    // Every subject of the model other than the customer gets one; the customer keeps gdpr_erasure.
    assert.deepEqual(
      defs.pipelines.filter((x) => x.name.startsWith("gdpr_erasure")).map((x) => x.name),
      [
        "gdpr_erasure",
        ...dataModel.oltp.erasureSubjects
          .filter((x) => x.name !== "Customer")
          .map((x) => PIPELINES.subjectErasure(x.name)),
      ],
    );
  });

  it("erases a guest's card in its own pipeline: the card's columns, then its fraud_features item, both audited", () => {
    const p = pipelineOf(defs, PIPELINES.subjectErasure("PaymentMethod"));
    assert.equal(p.name, "gdpr_erasure_payment_method");
    assert.deepEqual((p.properties.parameters as Json).paymentMethodId, { type: "SecureString" });
    assert.equal(
      (activity(p, "EraseOltp").typeProperties as Json).storedProcedureName,
      "[etl].[usp_ErasePaymentMethod]",
    );
    // The item the customer's erasure expires for a customer's card (entityKey = paymentMethod:<id>), as a stub.
    const expire = activity(p, "Expire_fraud_features");
    const after = (a: Json) => (a.dependsOn as { activity: string }[]).map((d) => d.activity);
    assert.deepEqual(after(expire), ["EraseOltp"]);
    assert.equal(
      ((expire.typeProperties as Json).source as Json).query,
      "@concat('SELECT c.id, c.entityKey, 1 AS ttl FROM c WHERE c.entityKey = ''paymentMethod:', variables('paymentMethodId'), '''')",
    );
    assert.equal(((expire.typeProperties as Json).sink as Json).writeBehavior, "upsert");
    const auditStep = activity(p, "Audit_fraud_features");
    assert.equal((auditStep.typeProperties as Json).storedProcedureName, "[etl].[usp_AuditErasure_PaymentMethod]");
    assert.deepEqual(((auditStep.typeProperties as Json).storedProcedureParameters as Json).Items, {
      value: "@activity('Expire_fraud_features').output.rowsCopied",
      type: "Int64",
    });
    assert.deepEqual(after(activity(p, "ReturnAudit")), ["EraseOltp", "Audit_fraud_features"]);
    for (const a of activities(p).filter((x) => JSON.stringify(x.typeProperties).includes("paymentMethodId"))) {
      const policy = (a.policy ?? {}) as Json;
      assert.deepEqual([policy.secureInput, policy.secureOutput], [true, true], `${a.name}: secure input and output`);
    }
    // The audit procedure exists only for it: the merchant contact has nothing outside the database.
    const sql = fs.readFileSync(path.resolve(__dirname, "../../pipelines/sql/05_oltp_etl_extraction.sql"), "utf8");
    assert.match(sql, /ALTER PROCEDURE \[etl\]\.\[usp_AuditErasure_PaymentMethod\]/);
    assert.doesNotMatch(sql, /usp_AuditErasure_MerchantContact/);
    assert.equal(
      activities(pipelineOf(defs, PIPELINES.subjectErasure("MerchantContact"))).some((a) =>
        String(a.name).startsWith("Expire_"),
      ),
      false,
    );
  });

  it("fails the guest-card run when the procedure refuses a customer's card, and then expires nothing in Cosmos DB", () => {
    // Microsoft's rule (learn.microsoft.com/azure/data-factory/tutorial-pipeline-failure-error-handling, "How pipeline
    // failure are determined"): "Evaluate outcome for all leaves activities. If a leaf activity was skipped, we
    // evaluate its parent activity instead"; "Pipeline result is success if and only if all leaves succeed".
    const p = pipelineOf(defs, PIPELINES.subjectErasure("PaymentMethod"));
    const top = p.properties.activities as Json[];
    const deps = (a: Json) => (a.dependsOn ?? []) as { activity: string; dependencyConditions: string[] }[];
    const status = new Map<string, string>();
    const outcome = (failing: string) => {
      status.clear();
      const settle = (a: Json): string => {
        const name = String(a.name);
        const known = status.get(name);
        if (known) return known;
        const met = deps(a).every((d) => {
          const up = settle(top.find((x) => x.name === d.activity) ?? {});
          const c = d.dependencyConditions[0];
          return c === "Completed" ? up !== "Skipped" : c === up;
        });
        const result = !met ? "Skipped" : name === failing ? "Failed" : "Succeeded";
        status.set(name, result);
        return result;
      };
      top.forEach(settle);
      const leaves = top.filter((a) => !top.some((b) => deps(b).some((d) => d.activity === a.name)));
      const evaluate = (a: Json): string[] =>
        status.get(String(a.name)) === "Skipped"
          ? deps(a).flatMap((d) => evaluate(top.find((x) => x.name === d.activity) ?? {}))
          : [String(status.get(String(a.name)))];
      return leaves.flatMap(evaluate).every((x) => x === "Succeeded") ? "Succeeded" : "Failed";
    };
    assert.equal(outcome(""), "Succeeded");
    // THROW 50110 fails the stored procedure activity (after its retries: the procedure refuses each time).
    assert.equal(outcome("EraseOltp"), "Failed");
    assert.equal(status.get("Expire_fraud_features"), "Skipped", "a customer's card keeps its fraud_features item");
    assert.equal(status.get("ReturnAudit"), "Skipped");
    assert.equal(activity(p, "EraseOltp").type, "SqlServerStoredProcedure");
    // No activity runs on the erasure's failure or completion (which would turn a refusal into a green run).
    assert.deepEqual(
      top.flatMap((a) => deps(a).filter((d) => d.dependencyConditions[0] !== "Succeeded")),
      [],
    );
  });

  it("deletes a subject's raw partitions in the folders the extracts write them to", () => {
    /** Evaluates `@concat('…', <expr>, …)` with the given values for its non-literal arguments. */
    const evaluate = (expression: string, values: Record<string, string>) => {
      const m = /^@concat\((.*)\)$/.exec(expression);
      assert.ok(m, expression);
      const literalsOnly = Object.entries(values).reduce((e, [k, v]) => e.split(k).join(`'${v}'`), m[1]);
      assert.match(literalsOnly, /^'[^']*'(\s*,\s*'[^']*')*$/, `${expression}: only the given values and literals`);
      return [...literalsOnly.matchAll(/'([^']*)'/g)].map((x) => x[1]).join("");
    };
    const erasure = pipelineOf(defs, PIPELINES.erasure);
    const folders = [
      ...new Set(strings(activity(erasure, "DeletePartition")).concat(strings(activity(erasure, "Exists")))),
    ].filter((v) => v.startsWith("@concat(") && v.includes("item().TableName"));
    assert.ok(folders.length >= 1, "the partition folder expression");
    for (const x of extractedTables(dataModel)) {
      const extract = pipelineOf(defs, PIPELINES.extract(x.table.name));
      const written = strings(extract).find((v) => v.startsWith("@concat(") && v.includes(`oltp/${x.table.name}/`));
      assert.ok(written, `${x.table.name}: the extract's folder`);
      const day = "2026-12-03";
      const expected = evaluate(written, { [RUN_DATE]: day });
      for (const f of folders)
        assert.equal(evaluate(f, { "item().TableName": x.table.name, "item().RunDate": day }), expected, x.table.name);
    }
  });

  it("runs its steps in order: the warehouse after OLTP, the partitions forgotten once deleted, the audit returned last", () => {
    const p = pipelineOf(defs, PIPELINES.erasure);
    const after = (...names: string[]) => names.map((activity) => ({ activity, dependencyConditions: ["Succeeded"] }));
    assert.deepEqual(Object.fromEntries(activities(p).map((a) => [a.name, a.dependsOn])), {
      CustomerId: [],
      RequestId: [],
      EraseOltp: after("CustomerId", "RequestId"),
      SubjectReferences: after("EraseOltp"),
      // The warehouse is pseudonymised once OLTP is: a load in between would bring the customer back.
      EraseWarehouse: after("EraseOltp"),
      Expire_sessions: after("EraseOltp"),
      Audit_sessions: after("Expire_sessions"),
      Each_fraud_features: after("SubjectReferences"),
      Is_PaymentMethod: [],
      Expire_fraud_features: [],
      Audit_fraud_features: after("Each_fraud_features"),
      LakePartitions: after("EraseWarehouse"),
      EachPartition: after("LakePartitions"),
      Exists: [],
      IfExists: after("Exists"),
      DeletePartition: [],
      // The pool forgets the partitions only once they are deleted (a failed delete is retried by the next run).
      ForgetPartitions: after("EachPartition"),
      // The run returns only once every store is erased and audited: the lake's, and each Cosmos DB container's.
      ReturnAudit: after("ForgetPartitions", "Audit_sessions", "Audit_fraud_features"),
    });
  });

  it("deletes each partition folder with everything under it, and finds a customer's items by a numeric or a string id", () => {
    const p = pipelineOf(defs, PIPELINES.erasure);
    assert.deepEqual((activity(p, "DeletePartition").typeProperties as Json).storeSettings, {
      type: "AzureBlobFSReadSettings",
      recursive: true,
    });
    const query = (name: string) => ((activity(p, name).typeProperties as Json).source as Json).query;
    // `customerRef` may hold the id as a number or as a string: the query matches both.
    assert.equal(
      query("Expire_sessions"),
      "@concat('SELECT c.id, 1 AS ttl FROM c WHERE c.customerRef = ', variables('customerId'), " +
        "' OR c.customerRef = ''', variables('customerId'), '''')",
    );
    assert.equal(
      query("Expire_fraud_features"),
      "@concat('SELECT c.id, c.entityKey, 1 AS ttl FROM c WHERE c.entityKey = ''paymentMethod:', item().KeyValue, '''')",
    );
  });
});

describe("pipelines/etl: the OLAP load's schedule (what the batch freshness alert allows)", () => {
  const trigger = (recurrence: Json, pipeline = MASTER_PIPELINE, type = "ScheduleTrigger"): AdfResource => ({
    name: "t",
    properties: {
      type,
      pipelines: [{ pipelineReference: { referenceName: pipeline, type: "PipelineReference" } }],
      typeProperties: { recurrence },
    },
  });
  const every = (...triggers: AdfResource[]) => olapLoadSchedule({ triggers })?.everyMinutes;

  it("the generated definitions: the publish pipeline, once a day (dev's pool triggers do not count)", () => {
    assert.deepEqual(olapLoadSchedule(defs), { pipelines: [PIPELINES.publish], everyMinutes: 1440 });
    assert.deepEqual(olapLoadSchedule(dev), { pipelines: [PIPELINES.publish], everyMinutes: 1440 });
  });

  it("the longest gap between the master's scheduled starts", () => {
    assert.equal(every(trigger({ frequency: "Hour", interval: 3 })), 180);
    assert.equal(every(trigger({ frequency: "Day", interval: 1, schedule: { hours: [2, 14], minutes: [0] } })), 720);
    assert.equal(every(trigger({ frequency: "Day", interval: 1, schedule: { hours: [2, 8], minutes: [30] } })), 1080);
    assert.equal(every(trigger({ frequency: "Day", interval: 2, schedule: { hours: [2] } })), 2880);
    assert.equal(every(trigger({ frequency: "Week", interval: 1 })), 10080);
  });

  it("no schedule: a monthly trigger, a trigger of another pipeline, or another trigger type", () => {
    assert.equal(olapLoadSchedule({ triggers: [] }), undefined);
    assert.equal(every(trigger({ frequency: "Month", interval: 1 })), undefined);
    assert.equal(every(trigger({ frequency: "Day", interval: 1 }, PIPELINES.poolPause)), undefined);
    assert.equal(every(trigger({ frequency: "Day", interval: 1 }, MASTER_PIPELINE, "BlobEventsTrigger")), undefined);
  });
});

describe("Data Factory definitions: no SQL call stopped before its activity's timeout", () => {
  it("every SQL activity's timeout fits the linked services' command timeout, and every Script block's limit fits the activity", () => {
    const sql = new Set(["SqlServerStoredProcedure", "Script", "Lookup", "Copy"]);
    let checked = 0;
    for (const d of [defs, dev])
      for (const p of d.pipelines)
        for (const a of activities(p).filter((x) => sql.has(String(x.type)))) {
          const policy = timespanSeconds(String((a.policy as Json).timeout));
          assert.ok(policy <= SQL_COMMAND_TIMEOUT_SECONDS, `${p.name}/${String(a.name)}: ${policy} s`);
          if (a.type === "Script") {
            const block = timespanSeconds(String((a.typeProperties as Json).scriptBlockExecutionTimeout));
            assert.ok(
              block >= policy,
              `${p.name}/${String(a.name)}: blocks stop at ${block} s, the activity at ${policy} s`,
            );
          }
          checked += 1;
        }
    assert.ok(checked > 50, `${checked} SQL activities`);
    // The publish (12 hours, a full reload in batches) is the longest, and the command timeout its.
    assert.equal(SQL_COMMAND_TIMEOUT_SECONDS, timespanSeconds(POLICIES.publish.timeout));
    // The schema deployment's blocks run as long as their activity (a materialized view built over a grown fact).
    const deploy = defs.pipelines
      .filter((p) => p.name.startsWith("etl_schema_deploy_"))
      .flatMap(activities)
      .filter((a) => a.type === "Script");
    assert.ok(deploy.length > 0);
    for (const a of deploy) assert.equal((a.typeProperties as Json).scriptBlockExecutionTimeout, "03:00:00");
  });
});
