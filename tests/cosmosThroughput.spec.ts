/**
 * A Cosmos DB container's autoscale maximum against what Azure accepts for it now (components/nosql/throughput.ts),
 * read with the program's own ARM GET (components/shared/armRead.ts): the GET's answers and retries, each verdict on
 * hand-made settings, the reads the program makes, and a preview of a deployed stack refusing a value below the floor.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { autoscaleFloor, throughputConflicts, type DeployedThroughput } from "../components/nosql/throughput";
import {
  ARM_ENDPOINT,
  ARM_GET_ATTEMPTS,
  ARM_GET_TIMEOUT_MS,
  armGet,
  forgetArmToken,
  installedArmReader,
  readArm,
  retryWaitMs,
  setArmReader,
  type ArmResponse,
} from "../components/shared/armRead";
import { UnusableProxyError } from "../lib/envProxy";
import { ARM_READ, SUBSCRIPTION_ID } from "../tools/lib/azureMocks";
import { runDeployedElsewise } from "./helpers/deployedElsewise";
import { byName, invokesOf, ofType, previewOf } from "./helpers/stacks";

/** A fetch answering `answers` in turn, recording each request and each wait. */
function fakeArm(answers: ({ status: number; body?: unknown; retryAfter?: string } | Error)[]) {
  const requests: { url: string; headers: Record<string, string>; signal: AbortSignal }[] = [];
  const waits: number[] = [];
  let i = 0;
  return {
    requests,
    waits,
    deps: {
      token: () => Promise.resolve("tok"),
      fetch: (url: string, init: { headers: Record<string, string>; signal: AbortSignal }): Promise<ArmResponse> => {
        requests.push({ url, headers: init.headers, signal: init.signal });
        const a = answers[Math.min(i++, answers.length - 1)];
        if (a instanceof Error) return Promise.reject(a);
        return Promise.resolve({
          status: a.status,
          headers: { get: (name: string) => (name === "retry-after" ? (a.retryAfter ?? null) : null) },
          text: () => Promise.resolve(typeof a.body === "string" ? a.body : JSON.stringify(a.body ?? {})),
        });
      },
      sleep: (ms: number) => {
        waits.push(ms);
        return Promise.resolve();
      },
    },
  };
}

const ID =
  "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/a/sqlDatabases/payments/containers/sessions/throughputSettings/default";

describe("the program's own ARM read (armGet)", () => {
  it("GETs the resource on ARM at the caller's API version with the provider's token, and gives its body", async () => {
    const arm = fakeArm([{ status: 200, body: { name: "default", properties: { resource: { throughput: 400 } } } }]);
    assert.deepEqual(await armGet(ID, "2025-10-15", arm.deps), {
      name: "default",
      properties: { resource: { throughput: 400 } },
    });
    assert.deepEqual(
      arm.requests.map(({ url, headers }) => ({ url, headers })),
      [
        {
          url: `${ARM_ENDPOINT}${ID}?api-version=2025-10-15`,
          headers: { Authorization: "Bearer tok", Accept: "application/json" },
        },
      ],
    );
    // Each try is bounded: its signal aborts after ARM_GET_TIMEOUT_MS.
    assert.ok(arm.requests[0].signal instanceof AbortSignal);
    assert.equal(arm.requests[0].signal.aborted, false);
    assert.equal(ARM_ENDPOINT, "https://management.azure.com");
  });

  it("reads a 404 (the resource, its parent or its group missing) as nothing deployed", async () => {
    const arm = fakeArm([{ status: 404, body: { error: { code: "ParentResourceNotFound", message: "gone" } } }]);
    assert.equal(await armGet(ID, "2025-10-15", arm.deps), undefined);
    assert.equal(arm.requests.length, 1);
  });

  it("bounds each try by ARM_GET_TIMEOUT_MS (60 s), a fresh signal per try", async () => {
    const arm = fakeArm([{ status: 503 }, { status: 200, body: {} }]);
    const asked: number[] = [];
    const signals: AbortSignal[] = [];
    await armGet(ID, "2025-10-15", {
      ...arm.deps,
      timeout: (ms) => {
        asked.push(ms);
        const signal = new AbortController().signal;
        signals.push(signal);
        return signal;
      },
    });
    assert.equal(ARM_GET_TIMEOUT_MS, 60_000);
    assert.deepEqual(asked, [60_000, 60_000]);
    assert.deepEqual(
      arm.requests.map((r) => r.signal),
      signals,
    );
    assert.notEqual(signals[0], signals[1]);
  });

  it("readArm asks the provider for one token for its reads, through getClientToken, and GETs with it", async () => {
    const installed = installedArmReader();
    setArmReader(undefined);
    forgetArmToken();
    const invoked: string[] = [];
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => ({ id: args.name, state: args.inputs }),
        call: (args) => {
          invoked.push(args.token);
          return { token: `token-${invoked.length}` };
        },
      },
      "project",
      "stack",
      false,
    );
    const realFetch = globalThis.fetch;
    const auth: string[] = [];
    globalThis.fetch = ((_url: string, init: { headers: Record<string, string> }) => {
      auth.push(init.headers.Authorization);
      return Promise.resolve(new Response('{"name":"default"}', { status: 200 }));
    }) as unknown as typeof fetch;
    try {
      assert.deepEqual(await readArm(ID, "2025-10-15"), { name: "default" });
      assert.deepEqual(await readArm(ID, "2025-10-15"), { name: "default" });
    } finally {
      globalThis.fetch = realFetch;
      setArmReader(installed);
      forgetArmToken();
    }
    assert.deepEqual(invoked, ["azure-native:authorization:getClientToken"]);
    assert.deepEqual(auth, ["Bearer token-1", "Bearer token-1"]);
  });

  it("takes a 404 for a subscription it cannot find as a wrong login, not as nothing deployed", async () => {
    const arm = fakeArm([{ status: 404, body: { error: { code: "SubscriptionNotFound", message: "no sub" } } }]);
    await assert.rejects(armGet(ID, "2025-10-15", arm.deps), /failed: HTTP 404 Code="SubscriptionNotFound"/);
  });

  it("tries again a request that got no answer or timed out (408), naming the URL and the cause when it gives up", async () => {
    const refused = Object.assign(new TypeError("fetch failed"), { cause: new Error("connect ECONNREFUSED") });
    const arm = fakeArm([refused, { status: 408 }, { status: 200, body: { name: "default" } }]);
    assert.deepEqual(await armGet(ID, "2025-10-15", arm.deps), { name: "default" });
    assert.deepEqual(arm.waits, [2000, 4000]);
    const down = fakeArm([refused]);
    await assert.rejects(
      armGet(ID, "2025-10-15", down.deps),
      new RegExp(
        `^Error: GET ${ID.replace(/[/.]/g, "\\$&")} \\(api-version 2025-10-15\\) failed after 4 tries: TypeError: fetch failed \\(Error: connect ECONNREFUSED\\)$`,
      ),
    );
    assert.equal(down.requests.length, ARM_GET_ATTEMPTS);
  });

  it("stops the program on any other refusal at once, with Azure's code and message", async () => {
    const arm = fakeArm([{ status: 403, body: { error: { code: "AuthorizationFailed", message: "no read" } } }]);
    await assert.rejects(
      armGet(ID, "2025-10-15", arm.deps),
      new RegExp(
        `^Error: GET ${ID.replace(/[/.]/g, "\\$&")} \\(api-version 2025-10-15\\) failed: HTTP 403 Code="AuthorizationFailed" Message="no read"$`,
      ),
    );
    assert.equal(arm.requests.length, 1);
    assert.deepEqual(arm.waits, []);
  });

  it("tries a throttled or failing GET again, waiting as Azure's Retry-After says, then gives up naming the tries", async () => {
    const arm = fakeArm([
      { status: 429, retryAfter: "3" },
      { status: 503 },
      { status: 200, body: { name: "default" } },
    ]);
    assert.deepEqual(await armGet(ID, "2025-10-15", arm.deps), { name: "default" });
    assert.deepEqual(arm.waits, [3000, 4000]);
    const failing = fakeArm([{ status: 500, body: "upstream" }]);
    await assert.rejects(armGet(ID, "2025-10-15", failing.deps), /failed after 4 tries: HTTP 500 upstream$/);
    assert.equal(failing.requests.length, ARM_GET_ATTEMPTS);
    assert.deepEqual(failing.waits, [2000, 4000, 8000]);
  });

  it("does not try again a proxy setting it cannot use (a socks5 HTTPS_PROXY): the read fails at once, naming it", async () => {
    const arm = fakeArm([new UnusableProxyError("HTTPS_PROXY names a socks5 proxy (p:1080): …")]);
    await assert.rejects(armGet(ID, "2025-10-15", arm.deps), /\) failed: HTTPS_PROXY names a socks5 proxy \(p:1080\)/);
    assert.equal(arm.requests.length, 1);
    assert.deepEqual(arm.waits, []);
  });

  it("waits Azure's Retry-After in seconds, 2^try seconds without one, never over 30 s", () => {
    assert.equal(retryWaitMs("7", 1), 7000);
    assert.equal(retryWaitMs(null, 3), 8000);
    assert.equal(retryWaitMs("Wed, 21 Oct 2026 07:28:00 GMT", 2), 4000);
    assert.equal(retryWaitMs("600", 1), 30_000);
  });
});

describe("a container's autoscale maximum against the deployed throughput settings (throughputConflicts)", () => {
  const place = {
    resourceGroupName: "rg",
    accountName: "cosmos-x",
    databaseName: "payments",
    containerName: "sessions",
  };
  const autoscale = (max: number, more: Partial<DeployedThroughput> = {}): DeployedThroughput => ({
    throughput: max / 10,
    autoscaleSettings: { maxThroughput: max },
    minimumThroughput: String(Math.max(1000, max / 10)),
    offerReplacePending: "false",
    instantMaximumThroughput: String(max),
    softAllowedMaximumThroughput: "1000000",
    ...more,
  });

  it("asks nothing when the maximum does not change", () => {
    assert.deepEqual(throughputConflicts("sessions", autoscale(15_000), 15_000, place), []);
  });

  it("refuses a maximum below the floor Azure reports, naming the key, the floor and both readings of a drop", () => {
    const [c, ...more] = throughputConflicts(
      "sessions",
      autoscale(200_000, { minimumThroughput: "20000" }),
      15_000,
      place,
    );
    assert.deepEqual(more, []);
    assert.equal(c.kind, "refused");
    assert.equal(c.key, "cosmos.containers.sessions.maxThroughput");
    assert.equal(c.deployed, "an autoscale maximum of 200,000 RU/s");
    assert.equal(c.wanted, "15,000");
    assert.match(c.remedy, /Azure accepts no maximum below 20,000 RU\/s on this container now/);
    assert.match(c.remedy, /set cosmos\.containers\.sessions\.maxThroughput to 20,000 or more/);
    assert.match(
      c.remedy,
      /raised outside the program too \(in the portal, for a load test: the floor stays\), or by Azure itself for the data stored/,
    );
    // At the floor, or between it and the deployed maximum, Azure takes it.
    assert.deepEqual(
      throughputConflicts("sessions", autoscale(200_000, { minimumThroughput: "20000" }), 20_000, place),
      [],
    );
    assert.deepEqual(
      throughputConflicts("sessions", autoscale(200_000, { minimumThroughput: "20000" }), 50_000, place),
      [],
    );
  });

  it("takes a floor under 1000 as manual throughput's: ten times it, rounded up to 1000 (never refusing what Azure takes)", () => {
    assert.equal(autoscaleFloor(20_000), 20_000);
    assert.equal(autoscaleFloor(1000), 1000);
    assert.equal(autoscaleFloor(400), 4000);
    assert.equal(autoscaleFloor(450), 5000);
    assert.equal(autoscaleFloor(40), 1000);
    const [c] = throughputConflicts("sessions", autoscale(40_000, { minimumThroughput: "400" }), 3000, place);
    assert.match(c.remedy, /no maximum below 4,000 RU\/s/);
    // A floor Azure does not report (or not as digits) refuses nothing.
    assert.deepEqual(
      throughputConflicts("sessions", autoscale(40_000, { minimumThroughput: undefined }), 1000, place),
      [],
    );
    assert.deepEqual(throughputConflicts("sessions", autoscale(40_000, { minimumThroughput: "n/a" }), 1000, place), []);
  });

  it("while a change is pending: refuses a third value, warns on the old or the new maximum (the state decides whether this up updates it)", () => {
    const pending = autoscale(100_000, {
      offerReplacePending: "true",
      autoscaleSettings: { maxThroughput: 100_000, targetMaxThroughput: 200_000 },
    });
    const [third, ...none] = throughputConflicts("fraudFeatures", pending, 150_000, place);
    assert.deepEqual(none, []);
    assert.equal(third.kind, "refused");
    assert.match(third.remedy, /still in progress on the container \(offerReplacePending, to 200,000 RU\/s/);
    assert.match(third.remedy, /423 Locked/);
    assert.match(
      third.remedy,
      /deploy this once `az cosmosdb sql container throughput show -g rg -a cosmos-x -d payments -n sessions --query resource\.offerReplacePending` reads "false"/,
    );
    for (const wanted of [100_000, 200_000]) {
      const [c] = throughputConflicts("fraudFeatures", pending, wanted, place);
      assert.equal(c.kind, "advised", String(wanted));
      assert.match(c.remedy, /If this deploy updates the container, it may fail there/);
    }
    // Azure's flag read whatever its case.
    assert.equal(
      throughputConflicts("fraudFeatures", { ...pending, offerReplacePending: "True" }, 150_000, place)[0].kind,
      "refused",
    );
    assert.deepEqual(
      throughputConflicts("fraudFeatures", { ...pending, offerReplacePending: "false" }, 100_000, place),
      [],
    );
  });

  it("refuses a manual offer (autoscale only through the migration API), with the command", () => {
    const [c] = throughputConflicts("sessions", { throughput: 4000, minimumThroughput: "400" }, 15_000, place);
    assert.equal(c.kind, "refused");
    assert.equal(c.deployed, "manual throughput of 4,000 RU/s (not autoscale)");
    assert.match(
      c.remedy,
      /az cosmosdb sql container throughput migrate -g rg -a cosmos-x -d payments -n sessions -t autoscale/,
    );
  });

  it("refuses a raise above the soft maximum (a support request first)", () => {
    const [c] = throughputConflicts(
      "sessions",
      autoscale(90_000, { softAllowedMaximumThroughput: "500000" }),
      600_000,
      place,
    );
    assert.equal(c.kind, "refused");
    assert.match(c.remedy, /above 500,000 RU\/s on this container only after a support request/);
  });

  it("advises on a raise: the floor it lifts for good, and the hours of splitting above the instant maximum", () => {
    const [within] = throughputConflicts(
      "sessions",
      autoscale(15_000, { instantMaximumThroughput: "30000" }),
      25_000,
      place,
    );
    assert.equal(within.kind, "advised");
    assert.doesNotMatch(within.remedy, /splits/);
    assert.match(within.remedy, /lifts the container's floor to 3,000 RU\/s for good/);
    const [split] = throughputConflicts(
      "sessions",
      autoscale(15_000, { instantMaximumThroughput: "30000" }),
      150_000,
      place,
    );
    assert.equal(split.kind, "advised");
    assert.match(split.remedy, /Above 30,000 RU\/s Azure splits the container's partitions first/);
    assert.match(split.remedy, /floor to 15,000 RU\/s/);
  });
});

describe("the program reads each container's throughput settings before the container registers", () => {
  it("prod: one read per container, by its ARM id at the Cosmos DB API version; none during a first preview", async () => {
    const { run, previewRun } = await previewOf("prod");
    const account = ofType(run.resources, "azure-native:cosmosdb:DatabaseAccount")[0];
    const containers = ofType(run.resources, "azure-native:cosmosdb:SqlResourceSqlContainer");
    assert.equal(containers.length, 5);
    const group = String(account.inputs.resourceGroupName);
    const reads = invokesOf(run, ARM_READ).map((i) => i.inputs);
    assert.deepEqual(
      reads.map((r) => String(r.resourceId)).sort(),
      containers
        .map(
          (c) =>
            `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${group}/providers/Microsoft.DocumentDB/databaseAccounts/${String(account.inputs.accountName)}/sqlDatabases/payments/containers/${String((c.inputs.resource as { id: string }).id)}/throughputSettings/default`,
        )
        .sort(),
    );
    assert.ok(reads.every((r) => r.apiVersion === "2025-10-15"));
    assert.deepEqual(invokesOf(previewRun, ARM_READ), []);
    // The container still takes the account's name.
    assert.equal(byName(run.resources, "nosql-sessions").inputs.accountName, account.inputs.accountName);
  });

  it("dev (serverless, no throughput to compare): no read", async () => {
    const { run } = await previewOf("dev");
    assert.deepEqual(invokesOf(run, ARM_READ), []);
  });

  it("a preview of prod whose sessions container was raised for a load test refuses the config's lower maximum, a third value while a change is pending, and warns on a pending change the config holds", async function () {
    this.timeout(300_000);
    const { error, warned } = await runDeployedElsewise("prod", "throughput");
    assert.ok(error !== undefined, "the preview ends with an error");
    const text = error;
    assert.match(
      text,
      /error serializing property "accountName": the stack config asks for a change Azure refuses on the Cosmos DB container 'sessions' of 'cosmos-/,
    );
    assert.match(
      text,
      /cosmos\.containers\.sessions\.maxThroughput: the deployed value is an autoscale maximum of 200,000 RU\/s, the stack config asks for 15,000\. Azure accepts no maximum below 20,000 RU\/s/,
    );
    assert.match(
      text,
      /the Cosmos DB container 'fraud_features' of 'cosmos-[^']+' as the program would send it:\n {2}cosmos\.containers\.fraudFeatures\.maxThroughput: the deployed value is an autoscale maximum of 100,000 RU\/s, the stack config asks for 150,000\. A throughput change is still in progress/,
    );
    // The containers the config agrees with pass; a pending change to the config's value is a warning.
    assert.doesNotMatch(text, /apiLogs|webhookEvents|leases/);
    assert.deepEqual(
      warned
        .filter((w) => w.includes("maxThroughput"))
        .map((w) => w.replace(/'cosmos-[^']+'/, "'cosmos-…'").split(" on the container (")[0]),
      [
        "the Cosmos DB container 'webhook_events' of 'cosmos-…': cosmos.containers.webhookEvents.maxThroughput: the deployed value is an autoscale maximum of 90,000 RU/s, the stack config asks for 90,000. A throughput change is still in progress",
      ],
    );
  });

  it("a read that fails is a warning per container naming the command, and the preview goes on", async function () {
    this.timeout(300_000);
    const { error, warned } = await runDeployedElsewise("prod", "throughput-unreadable");
    assert.equal(error, undefined);
    const about = warned.filter((w) => w.includes("throughput settings could not be read"));
    assert.equal(about.length, 5, about.join("\n"));
    assert.match(
      about.find((w) => w.includes("'sessions'")) ?? "",
      /^the Cosmos DB container 'sessions' of 'cosmos-[^']+': its throughput settings could not be read \(Error: GET \S+ \(api-version 2025-10-15\) failed: HTTP 403 Code="AuthorizationFailed" Message="no"\), so cosmos\.containers\.sessions\.maxThroughput was not compared .*`az cosmosdb sql container throughput show -g rg-pay-prod-weu-data -a cosmos-[^ ]+ -d payments -n sessions --query resource` before lowering it\.$/,
    );
  });
});
