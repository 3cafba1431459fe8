import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Az } from "../tools/lib/etlOps";
import { tempDir } from "./helpers/tmp";
import { byName, previewOf } from "./helpers/stacks";
import {
  ASA_API,
  jobChanges,
  jobLocation,
  parsePreviewJson,
  PreviewFormatError,
  previewArgs,
  startJob,
  startMode,
  stopForUpdate,
  type JobInfo,
} from "../tools/lib/streamOps";

const ROOT = path.resolve(__dirname, "..");
const JOB =
  "/subscriptions/s/resourceGroups/rg-pay-prod-weu-integration/providers/Microsoft.StreamAnalytics/streamingjobs/asa-pay-prod-weu-apiperf";
const WHERE = { resourceGroup: "rg-pay-prod-weu-integration", jobName: "asa-pay-prod-weu-apiperf" };
const URN =
  "urn:pulumi:prod::payments-data-platform::payments:streaming:Streaming$azure-native:streamanalytics:StreamingJob::streaming-job";
const OTHER =
  "urn:pulumi:prod::payments-data-platform::payments:streaming:Streaming$azure-native:eventhub:EventHub::streaming-hub";

/** A `pulumi preview --json` document (the CLI's previewDigest) with the given steps. */
const preview = (...steps: { op: string; urn: string; diffReasons?: string[] }[]) => ({
  config: {},
  steps,
  changeSummary: {},
});

/** A fake Azure CLI: a job whose state moves through `states` on each read after a stop; records every call. */
function fakeAz(
  job: { state: string; lastOutput?: string } | undefined,
  afterStop: string[] = ["Stopping", "Stopped"],
) {
  const calls: string[][] = [];
  let state = job?.state ?? "";
  // A job found stopping (stopped by someone else) moves on by itself.
  let stopped = job?.state === "Stopping";
  const pending = [...afterStop];
  const az: Az = (args) => {
    calls.push([...args]);
    const a = args.join(" ");
    if (a.startsWith("group exists")) return job !== undefined;
    if (a.startsWith("resource list") && a.includes("Microsoft.StreamAnalytics/streamingjobs")) return job ? [JOB] : [];
    if (a === `rest --method get --url https://management.azure.com${JOB}?api-version=${ASA_API}`) {
      if (stopped && pending.length > 0) state = pending.shift() as string;
      return {
        id: JOB,
        name: WHERE.jobName,
        properties: { jobState: state, lastOutputEventTime: job?.lastOutput ?? null },
      } satisfies JobInfo;
    }
    if (a === `rest --method post --url https://management.azure.com${JOB}/stop?api-version=${ASA_API}`) {
      stopped = true;
      return null;
    }
    if (a.startsWith(`rest --method post --url https://management.azure.com${JOB}/start?api-version=${ASA_API}`))
      return null;
    throw new Error(`unexpected az ${a}`);
  };
  return { az, calls };
}

const wait = { attempts: 5, delayMs: 0, sleep: async () => undefined };
const posts = (calls: string[][]) => calls.filter((c) => c[2] === "post").map((c) => c.slice(4).join(" "));

describe("stream:ops (the Stream Analytics job around pulumi up)", () => {
  describe("jobChanges: what the CLI's preview does to the job", () => {
    it("asks for the refreshed preview, the plan deploy.yml's `up --refresh` will carry out", () => {
      assert.deepEqual(previewArgs("org/payments-data-platform/prod"), [
        "preview",
        "--stack",
        "org/payments-data-platform/prod",
        "--refresh",
        "--json",
        "--non-interactive",
      ]);
      // A copy deployed with --config-file is previewed with the same settings file the tool read its names from.
      assert.deepEqual(previewArgs("org-dr/payments-data-platform/prod", "Pulumi.prod-neu.yaml").slice(0, 5), [
        "preview",
        "--stack",
        "org-dr/payments-data-platform/prod",
        "--config-file",
        "Pulumi.prod-neu.yaml",
      ]);
    });

    it("a refresh step alone leaves the job running; the update that follows it does not", () => {
      assert.deepEqual(jobChanges(preview({ op: "refresh", urn: URN })), []);
      assert.deepEqual(
        jobChanges(preview({ op: "refresh", urn: URN }, { op: "update", urn: URN, diffReasons: ["sku"] })).map(
          (c) => c.op,
        ),
        ["update"],
      );
    });

    it("reports updates, replacements and deletes of the job, with their reasons", () => {
      const changes = jobChanges(
        preview(
          { op: "update", urn: URN, diffReasons: ["transformation"] },
          { op: "update", urn: OTHER, diffReasons: ["retentionDescription"] },
        ),
      );
      assert.deepEqual(changes, [{ op: "update", urn: URN, diffReasons: ["transformation"] }]);
      for (const op of ["replace", "create-replacement", "delete-replaced", "delete"])
        assert.equal(jobChanges(preview({ op, urn: URN })).length, 1, op);
    });

    it("also stops it for new partitions added in place to a Premium hub (readers restart to see them)", () => {
      assert.deepEqual(
        jobChanges(preview({ op: "update", urn: OTHER, diffReasons: ["partitionCount", "retentionDescription"] })).map(
          (c) => c.urn,
        ),
        [OTHER],
      );
      assert.deepEqual(jobChanges(preview({ op: "update", urn: OTHER })), [], "an update without its reasons");
    });

    it("also stops it for a replacement or deletion of the Event Hubs resources it reads and writes", () => {
      // A new partition count on a Standard hub, or a new tier, replaces the hub or namespace under the running job.
      for (const op of ["replace", "create-replacement", "delete-replaced", "delete"])
        assert.deepEqual(
          jobChanges(preview({ op, urn: OTHER, diffReasons: ["partitionCount"] })).map((c) => c.urn),
          [OTHER],
          op,
        );
      const cg = OTHER.replace("eventhub:EventHub::streaming-hub", "eventhub:ConsumerGroup::streaming-evh-cg");
      assert.equal(jobChanges(preview({ op: "replace", urn: cg })).length, 1);
      // An in-place update (more partitions on Premium) does not.
      assert.deepEqual(jobChanges(preview({ op: "update", urn: OTHER })), []);
    });

    it("leaves the job alone when the preview keeps or only creates it", () => {
      for (const op of ["same", "create", "read", "refresh"])
        assert.deepEqual(jobChanges(preview({ op, urn: URN })), [], op);
      assert.deepEqual(jobChanges(preview()), []);
      assert.deepEqual(jobChanges({ changeSummary: { same: 500 } }), [], "no steps at all: nothing changes");
    });

    it("reads the preview document past lines the CLI prints before it on stdout", () => {
      const doc = JSON.stringify(preview({ op: "update", urn: URN }), null, 2);
      const text = `Installing policy pack payments-pci-gdpr 0.1.0...\n${doc}\n`;
      assert.deepEqual(
        jobChanges(parsePreviewJson(text)).map((c) => c.op),
        ["update"],
      );
      assert.deepEqual(parsePreviewJson(doc), JSON.parse(doc));
      assert.throws(() => parsePreviewJson("error: no stack\n"), PreviewFormatError);
    });

    it("refuses a document that is not a preview", () => {
      assert.throws(() => jobChanges(null), PreviewFormatError);
      assert.throws(() => jobChanges({ steps: "update" }), /pulumi preview --json/);
    });
  });

  describe("stop-for-update (before up)", () => {
    it("stops a running job the update changes and waits until Azure reports it stopped", async () => {
      const { az, calls } = fakeAz({ state: "Running" });
      let previewed = 0;
      const result = await stopForUpdate(
        az,
        WHERE,
        () => {
          previewed += 1;
          return preview({ op: "update", urn: URN, diffReasons: ["transformation"] });
        },
        wait,
      );
      assert.equal(result.outcome, "stopped");
      assert.equal(previewed, 1);
      assert.deepEqual(posts(calls), [`https://management.azure.com${JOB}/stop?api-version=${ASA_API}`]);
      const reads = calls.filter((c) => c[2] === "get").length;
      assert.equal(reads, 3, "read once before, then until Stopped (Stopping, Stopped)");
    });

    it("does not stop a running job the update leaves as it is (no gap in flow 3)", async () => {
      const { az, calls } = fakeAz({ state: "Running" });
      const result = await stopForUpdate(az, WHERE, () => preview({ op: "update", urn: OTHER }), wait);
      assert.equal(result.outcome, "unchanged");
      assert.deepEqual(posts(calls), []);
    });

    it("neither previews nor stops a job that is not running, or before the first up", async () => {
      for (const state of ["Stopped", "Created", "Failed"]) {
        const { az, calls } = fakeAz({ state });
        const result = await stopForUpdate(az, WHERE, () => assert.fail("no preview needed"), wait);
        assert.equal(result.outcome, "not running", state);
        assert.deepEqual(posts(calls), []);
      }
      const { az } = fakeAz(undefined);
      assert.equal((await stopForUpdate(az, WHERE, () => assert.fail("no preview needed"), wait)).outcome, "no job");
    });

    it("waits for a job someone else is stopping (the off-hours pipeline), without stopping or restarting it", async () => {
      const { az, calls } = fakeAz({ state: "Stopping" });
      let requested = 0;
      const result = await stopForUpdate(
        az,
        WHERE,
        () => assert.fail("no preview needed"),
        wait,
        () => (requested += 1),
      );
      assert.equal(result.outcome, "not running");
      assert.deepEqual(posts(calls), []);
      assert.equal(requested, 0, "not this run's to start again");
      assert.ok(calls.filter((c) => c[2] === "get").length >= 2, "read until stopped");
    });

    it("counts a degraded, scaling or starting job as running", async () => {
      for (const state of ["Degraded", "Scaling", "Starting", "Restarting"]) {
        const { az } = fakeAz({ state });
        const result = await stopForUpdate(az, WHERE, () => preview({ op: "update", urn: URN }), wait);
        assert.equal(result.outcome, "stopped", state);
      }
    });

    it("fails, naming the state, when the job does not stop in time", async () => {
      const { az } = fakeAz({ state: "Running" }, [
        "Stopping",
        "Stopping",
        "Stopping",
        "Stopping",
        "Stopping",
        "Stopping",
      ]);
      let requested = 0;
      await assert.rejects(
        stopForUpdate(
          az,
          WHERE,
          () => preview({ op: "update", urn: URN }),
          wait,
          () => (requested += 1),
        ),
        /still Stopping, not stopped, after 5 checks/,
      );
      // The stop was sent: the deploy's restart step must still start the job after up.
      assert.equal(requested, 1);
    });
  });

  describe("start (after up)", () => {
    it("waits for a job still stopping (Azure refuses a start then) and starts it from its last output", async () => {
      const { az, calls } = fakeAz({ state: "Stopping", lastOutput: "2026-12-01T19:00:00Z" });
      assert.deepEqual(await startJob(az, WHERE, wait), { outcome: "started", mode: "LastOutputEventTime" });
      const reads = calls.filter((c) => c[2] === "get").length;
      assert.ok(reads >= 2, "read again until stopped");
      assert.deepEqual(posts(calls), [
        `https://management.azure.com${JOB}/start?api-version=${ASA_API} --body {"outputStartMode":"LastOutputEventTime"}`,
      ]);
    });

    it("starts from the job's start the first time and from its last output afterwards", async () => {
      const first = fakeAz({ state: "Created" });
      assert.deepEqual(await startJob(first.az, WHERE, wait), { outcome: "started", mode: "JobStartTime" });
      assert.deepEqual(posts(first.calls), [
        `https://management.azure.com${JOB}/start?api-version=${ASA_API} --body {"outputStartMode":"JobStartTime"}`,
      ]);
      const later = fakeAz({ state: "Stopped", lastOutput: "2026-12-01T10:00:00Z" });
      assert.deepEqual(await startJob(later.az, WHERE, wait), { outcome: "started", mode: "LastOutputEventTime" });
      assert.equal(startMode({ id: JOB, name: "x", properties: { lastOutputEventTime: null } }), "JobStartTime");
    });

    it("leaves a running job alone, and says so before the first up", async () => {
      const running = fakeAz({ state: "Running" });
      assert.deepEqual(await startJob(running.az, WHERE, wait), { outcome: "running" });
      assert.deepEqual(posts(running.calls), []);
      assert.deepEqual(await startJob(fakeAz(undefined).az, WHERE, wait), { outcome: "no job" });
    });
  });

  it("looks for the job the program deploys: its resource group and name, in both stacks", async function () {
    this.timeout(120000);
    for (const stack of ["dev", "prod"] as const) {
      const { run } = await previewOf(stack);
      const job = byName(run.resources, "streaming-job");
      const group = run.resources.find(
        (r) => r.type === "azure-native:resources:ResourceGroup" && r.id === job.id?.split("/providers/")[0],
      );
      assert.deepEqual(
        jobLocation(ROOT, stack),
        {
          resourceGroup: group?.inputs.resourceGroupName,
          jobName: job.inputs.jobName,
        },
        stack,
      );
      assert.equal(job.id?.split("/").pop(), job.inputs.jobName);
    }
  });

  it("with --stack-file, looks for a copy's job in the copy's region, never the primary's", () => {
    const dir = tempDir("stream-ops-stack-file");
    const file = path.join(dir, "Pulumi.prod-neu.yaml");
    const primary = fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8");
    fs.writeFileSync(
      file,
      primary
        .replace(/^(\s*(?:azure-native|payments-data-platform):location:\s*)westeurope\s*$/gm, "$1northeurope")
        .replace(/^(\s*payments-data-platform:secondaryLocation:\s*)northeurope\s*$/m, "$1westeurope"),
    );
    const copy = jobLocation(ROOT, "prod", file);
    const main = jobLocation(ROOT, "prod");
    assert.match(main.resourceGroup, /-weu-/);
    assert.match(copy.resourceGroup, /-neu-/);
    assert.notEqual(copy.jobName, main.jobName);
  });

  describe("command line", function () {
    this.timeout(60000);
    const cli = (args: string[]) =>
      new Promise<{ code: number; out: string }>((resolve) =>
        execFile(
          process.execPath,
          [path.join(ROOT, "scripts", "ts-run.cjs"), "tools/streamOps.ts", ...args],
          { cwd: ROOT },
          (err, stdout, stderr) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? 99) : 0, out: stdout + stderr }),
        ),
      );

    it("stop-for-update reads the CLI's preview as one document even where the caller's environment asks the CLI to stream events", async () => {
      // A fake az (a running dev job, stopped on request) and a fake pulumi that prints the preview document only
      // when PULUMI_ENABLE_STREAMING_JSON_PREVIEW is off, engine events otherwise (the CLI's two --json forms).
      const bin = tempDir("fake-cli-");
      const { resourceGroup, jobName } = jobLocation(ROOT, "dev");
      const job = `/subscriptions/s/resourceGroups/${resourceGroup}/providers/Microsoft.StreamAnalytics/streamingjobs/${jobName}`;
      const stoppedMark = path.join(bin, "stopped");
      fs.writeFileSync(
        path.join(bin, "az"),
        `#!/usr/bin/env node
const fs = require("fs");
const a = process.argv.slice(2).filter((x, i, all) => x !== "--output" && all[i - 1] !== "--output").join(" ");
const out = (v) => process.stdout.write(JSON.stringify(v));
if (a === "account show --query id") out("s");
else if (a.startsWith("group exists")) out(true);
else if (a.startsWith("resource list")) out([${JSON.stringify(job)}]);
else if (a.startsWith("rest --method get")) out({ id: ${JSON.stringify(job)}, name: ${JSON.stringify(jobName)}, properties: { jobState: fs.existsSync(${JSON.stringify(stoppedMark)}) ? "Stopped" : "Running" } });
else if (a.startsWith("rest --method post") && a.includes("/stop?")) fs.writeFileSync(${JSON.stringify(stoppedMark)}, "");
else { process.stderr.write("unexpected az " + a); process.exit(3); }
`,
        { mode: 0o755 },
      );
      const urn = `urn:pulumi:dev::payments-data-platform::payments:streaming:Streaming$azure-native:streamanalytics:StreamingJob::streaming-job`;
      fs.writeFileSync(
        path.join(bin, "pulumi"),
        `#!/usr/bin/env node
const streaming = !["", "0", "false"].includes((process.env.PULUMI_ENABLE_STREAMING_JSON_PREVIEW || "").toLowerCase());
const steps = [{ op: "update", urn: ${JSON.stringify(urn)}, diffReasons: ["transformation"] }];
if (streaming) for (const e of [{ sequence: 0, preludeEvent: {} }, { sequence: 1, resourcePreEvent: { metadata: steps[0] } }]) console.log(JSON.stringify(e));
else console.log(JSON.stringify({ config: {}, steps, changeSummary: { update: 1 } }, null, 4));
`,
        { mode: 0o755 },
      );
      const run = await new Promise<{ code: number; out: string }>((resolve) =>
        execFile(
          process.execPath,
          [
            path.join(ROOT, "scripts", "ts-run.cjs"),
            "tools/streamOps.ts",
            "stop-for-update",
            "--stack",
            "dev",
            "--pulumi-stack",
            "org/payments-data-platform/dev",
            "--delay-seconds",
            "0",
          ],
          {
            cwd: ROOT,
            env: {
              ...process.env,
              PATH: `${bin}${path.delimiter}${process.env.PATH}`,
              ARM_SUBSCRIPTION_ID: "s",
              PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true",
              GITHUB_OUTPUT: "",
            },
          },
          (err, stdout, stderr) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? 99) : 0, out: stdout + stderr }),
        ),
      );
      fs.rmSync(bin, { recursive: true, force: true });
      assert.equal(run.code, 0, run.out);
      assert.match(run.out, new RegExp(`^stopped job ${jobName} for this update: update \\(transformation\\)$`, "m"));
    });

    it("answers bad usage with exit 2 and the allowed values, before touching Azure", async () => {
      const [command, stack, source] = await Promise.all([
        cli(["restart", "--stack", "prod"]),
        cli(["start", "--stack", "test"]),
        cli(["stop-for-update", "--stack", "prod"]),
      ]);
      assert.equal(command.code, 2);
      assert.match(command.out, /unknown command 'restart'[\s\S]*stop-for-update\|start/);
      assert.equal(stack.code, 2);
      assert.match(stack.out, /--stack must be dev or prod/);
      assert.equal(source.code, 2);
      assert.match(source.out, /exactly one of --pulumi-stack or --preview/);
    });
  });
});
