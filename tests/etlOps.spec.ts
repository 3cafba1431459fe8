import { strict as assert } from "node:assert";
import {
  approveAll,
  connectionProblems,
  pagedGet,
  pagedQuery,
  expectations,
  factoryExpectations,
  isOffHours,
  pausePools,
  pendingOf,
  pipelinesOf,
  poolStep,
  runAndWait,
  runPipeline,
  waitForIdle,
  sleepsNow,
  setTriggers,
  triggersToStart,
  triggersToStop,
  wakePools,
  type Az,
  type Connection,
} from "../tools/lib/etlOps";

const RG = "/subscriptions/s/resourceGroups";
const FACTORY = `${RG}/rg-pay-dev-weu-integration/providers/Microsoft.DataFactory/factories/adf-pay-dev-weu-1a2b`;
const WS = `${RG}/rg-pay-dev-weu-data/providers/Microsoft.Synapse/workspaces/synw-pay-dev-weu-1a2b`;
const LAKE = `${RG}/rg-pay-dev-weu-data/providers/Microsoft.Storage/storageAccounts/stpaydevweulake1a2b`;
const SQL = `${RG}/rg-pay-dev-weu-data/providers/Microsoft.Sql/servers/sql-pay-dev-weu-1a2b`;

const conn = (target: string, id: string, pe: string, status: string): Connection => ({
  id: `${target}/privateEndpointConnections/${id}`,
  properties: {
    privateEndpoint: { id: `${RG}/managed/providers/Microsoft.Network/privateEndpoints/${pe}` },
    privateLinkServiceConnectionState: { status },
  },
});

/** A fake Azure CLI: answers the calls etlOps makes from a little world, records approvals. */
function fakeAz(world: {
  connections: Record<string, Connection[]>;
  triggers?: unknown[];
  /** Resource groups that do not exist yet (before the stack's first `up`). */
  missingGroups?: string[];
  /** The factory's managed endpoints' provisioning states (Succeeded unless named here). */
  provisioning?: Record<string, string>;
}) {
  const calls: string[][] = [];
  const az: Az = (args) => {
    calls.push([...args]);
    const a = args.join(" ");
    if (a.startsWith("group exists")) return !(world.missingGroups ?? []).includes(args[args.indexOf("--name") + 1]);
    if (a.startsWith("resource list") && a.includes("Microsoft.DataFactory/factories")) return [FACTORY];
    if (a.startsWith("resource list") && a.includes("Microsoft.Synapse/workspaces")) return [WS];
    if (a.startsWith("resource show")) return LAKE;
    const endpoints = [
      { name: "mpe-oltp-sql", properties: { privateLinkResourceId: SQL, groupId: "sqlServer" } },
      { name: "mpe-lake-dfs", properties: { privateLinkResourceId: LAKE, groupId: "dfs" } },
    ].map((e) => ({
      ...e,
      properties: { ...e.properties, provisioningState: (world.provisioning ?? {})[e.name] ?? "Succeeded" },
    }));
    if (a.includes("/managedPrivateEndpoints?")) return { value: endpoints };
    if (a.includes("/managedPrivateEndpoints/"))
      return endpoints.find((e) => a.includes(`/managedPrivateEndpoints/${e.name}?`)) ?? null;
    if (a.includes("/triggers?")) return { value: world.triggers ?? [] };
    if (a.startsWith("network private-endpoint-connection list"))
      return world.connections[args[args.indexOf("--id") + 1]] ?? [];
    if (a.startsWith("network private-endpoint-connection approve")) {
      const id = args[args.indexOf("--id") + 1];
      for (const list of Object.values(world.connections))
        for (const [i, c] of list.entries())
          if (c.id === id)
            list[i] = {
              ...c,
              properties: { ...c.properties, privateLinkServiceConnectionState: { status: "Approved" } },
            };
      return null;
    }
    throw new Error(`unexpected az ${a}`);
  };
  return { az, calls };
}

const STACK = { integrationResourceGroup: "rg-pay-dev-weu-integration", dataResourceGroup: "rg-pay-dev-weu-data" };

describe("etl:ops (approvals and triggers around pulumi up)", () => {
  it("finds nothing, without listing, in resource groups that do not exist yet (a stack's first deploy)", () => {
    const { az, calls } = fakeAz({
      connections: {},
      missingGroups: [STACK.integrationResourceGroup, STACK.dataResourceGroup],
    });
    assert.deepEqual(expectations(az, STACK), []);
    // `az resource list` on a missing group fails (ResourceGroupNotFound): it is never called.
    assert.deepEqual(
      calls.filter((c) => c[0] === "resource"),
      [],
    );
  });

  it("expects one connection per managed endpoint of the factory, and the Synapse workspace's on its lake", () => {
    const { az } = fakeAz({ connections: {} });
    assert.deepEqual(
      expectations(az, STACK).map((e) => [e.targetId, e.privateEndpointName]),
      [
        [SQL, "adf-pay-dev-weu-1a2b.mpe-oltp-sql"],
        [LAKE, "adf-pay-dev-weu-1a2b.mpe-lake-dfs"],
        [LAKE, "synw-pay-dev-weu-1a2b."],
      ],
    );
  });

  it("approves only the stack's own pending connections, never a stranger's", async () => {
    const world = {
      connections: {
        [SQL]: [
          conn(SQL, "a", "adf-pay-dev-weu-1a2b.mpe-oltp-sql", "Pending"),
          conn(SQL, "x", "someone-else", "Pending"),
        ],
        [LAKE]: [
          conn(LAKE, "b", "adf-pay-dev-weu-1a2b.mpe-lake-dfs", "Pending"),
          conn(
            LAKE,
            "c",
            "synw-pay-dev-weu-1a2b.synapse-ws-custstgacct--synw-pay-dev-weu-1a2b-stpaydevweulake1a2b",
            "Pending",
          ),
          conn(LAKE, "d", "adf-pay-dev-weu-1a2b.mpe-lake-blob-of-another-factory", "Pending"),
          conn(LAKE, "e", "pep-stpaydevweulake1a2b-dfs", "Approved"),
        ],
      },
    };
    const { az } = fakeAz(world);
    const approved = await approveAll(az, expectations(az, STACK), { attempts: 1, delayMs: 0, log: () => undefined });
    assert.deepEqual(approved.map((id) => id.split("/").pop()).sort(), ["a", "b", "c"]);
    assert.equal(world.connections[SQL][1].properties.privateLinkServiceConnectionState?.status, "Pending");
    assert.equal(world.connections[LAKE][2].properties.privateLinkServiceConnectionState?.status, "Pending");
  });

  it("approves none of a name two connections claim (a stranger's endpoint of the same name, from any subscription)", async () => {
    const stranger = (target: string, id: string, pe: string, status = "Pending"): Connection => ({
      id: `${target}/privateEndpointConnections/${id}`,
      properties: {
        privateEndpoint: {
          id: `/subscriptions/attacker/resourceGroups/x/providers/Microsoft.Network/privateEndpoints/${pe}`,
        },
        privateLinkServiceConnectionState: { status },
      },
    });
    const world: { connections: Record<string, Connection[]> } = {
      connections: {
        [SQL]: [
          conn(SQL, "a", "adf-pay-dev-weu-1a2b.mpe-oltp-sql", "Pending"),
          stranger(SQL, "x", "ADF-PAY-DEV-WEU-1A2B.mpe-oltp-sql"),
        ],
        [LAKE]: [
          conn(LAKE, "b", "adf-pay-dev-weu-1a2b.mpe-lake-dfs", "Pending"),
          conn(LAKE, "c", "synw-pay-dev-weu-1a2b.synapse-ws-custstgacct--synw-pay-dev-weu-1a2b-stpay", "Approved"),
          stranger(LAKE, "y", "synw-pay-dev-weu-1a2b.anything"),
        ],
      },
    };
    const { az } = fakeAz(world);
    const lines: string[] = [];
    await assert.rejects(
      approveAll(az, expectations(az, STACK), { attempts: 2, delayMs: 0, log: (l) => lines.push(l) }),
      (err: Error) => {
        assert.match(err.message, /not approved \(a name claimed twice\)/);
        assert.match(err.message, /2 private endpoint connections on .*sql-pay-dev-weu-1a2b claim the name/);
        assert.match(err.message, /\/subscriptions\/attacker\/.*privateEndpoints\/ADF-PAY-DEV-WEU-1A2B\.mpe-oltp-sql/);
        // The workspace's own is approved already: the stranger beside it is a warning, not a failed deploy.
        assert.doesNotMatch(err.message, /synw-pay-dev-weu-1a2b\./);
        return true;
      },
    );
    assert.ok(
      lines.some((l) =>
        /^::warning::Synapse workspace .*privateEndpointConnections\/y from \/subscriptions\/attacker\/.* is Pending beside the approved one: not approved/.test(
          l,
        ),
      ),
      lines.join("\n"),
    );
    // Neither claimant of either name was approved; the lake's unclaimed factory endpoint was, naming its endpoint.
    const status = (t: string, i: number) =>
      world.connections[t][i].properties.privateLinkServiceConnectionState?.status;
    assert.deepEqual([status(SQL, 0), status(SQL, 1), status(LAKE, 2)], ["Pending", "Pending", "Pending"]);
    assert.equal(status(LAKE, 0), "Approved");
    assert.ok(
      lines.some((l) => l.includes("privateEndpoints/adf-pay-dev-weu-1a2b.mpe-lake-dfs")),
      lines.join("\n"),
    );
    // The drift check reports the stranger's pending connection even when the stack's own is approved.
    const e = expectations(az, STACK).find((x) => x.privateEndpointName === "synw-pay-dev-weu-1a2b.")!;
    assert.ok(connectionProblems(world.connections[LAKE], e).some((p) => p.includes("/y is Pending, not Approved")));
  });

  it("a rejected stranger no longer claims the name, and claimants all approved need nothing (no deploy blocked)", async () => {
    const other = (target: string, id: string, pe: string, status: string): Connection => ({
      id: `${target}/privateEndpointConnections/${id}`,
      properties: {
        privateEndpoint: { id: `/subscriptions/elsewhere/providers/Microsoft.Network/privateEndpoints/${pe}` },
        privateLinkServiceConnectionState: { status },
      },
    });
    const world: { connections: Record<string, Connection[]> } = {
      connections: {
        [SQL]: [
          conn(SQL, "a", "adf-pay-dev-weu-1a2b.mpe-oltp-sql", "Approved"),
          other(SQL, "x", "adf-pay-dev-weu-1a2b.mpe-oltp-sql", "Rejected"),
        ],
        [LAKE]: [
          conn(LAKE, "b", "adf-pay-dev-weu-1a2b.mpe-lake-dfs", "Pending"),
          other(LAKE, "y", "adf-pay-dev-weu-1a2b.mpe-lake-dfs", "Disconnected"),
          // The workspace's own and a second one an operator approved by hand.
          conn(LAKE, "c", "synw-pay-dev-weu-1a2b.synapse-ws-custstgacct--synw-pay-dev-weu-1a2b-stpay", "Approved"),
          conn(LAKE, "d", "synw-pay-dev-weu-1a2b.blob-by-hand", "Approved"),
        ],
      },
    };
    const { az } = fakeAz(world);
    const approved = await approveAll(az, expectations(az, STACK), { attempts: 1, delayMs: 0, log: () => undefined });
    assert.deepEqual(
      approved.map((id) => id.split("/").pop()),
      ["b"],
    );
    const sql = expectations(az, STACK).find((e) => e.targetId === SQL)!;
    assert.deepEqual(connectionProblems(world.connections[SQL], sql), [], "the rejected stranger is not drift");
    // Two approved endpoints of the workspace's prefix under different names (one made by hand) are no drift; two of one
    // full name are.
    const ws = expectations(az, STACK).find((e) => e.privateEndpointName === "synw-pay-dev-weu-1a2b.")!;
    assert.deepEqual(connectionProblems(world.connections[LAKE], ws), []);
    const twin = conn(LAKE, "z", "SYNW-PAY-DEV-WEU-1A2B.blob-by-hand", "Approved");
    assert.ok(
      connectionProblems([...world.connections[LAKE], twin], ws).some((p) =>
        p.includes("2 private endpoint connections"),
      ),
    );
    // An approved factory endpoint with a stranger's pending one of its name: the deploy passes with a warning.
    const lines: string[] = [];
    world.connections[SQL].push(other(SQL, "w", "adf-pay-dev-weu-1a2b.mpe-oltp-sql", "Pending"));
    assert.deepEqual(await approveAll(az, [sql], { attempts: 1, delayMs: 0, log: (l) => lines.push(l) }), []);
    assert.ok(lines.some((l) => l.startsWith("::warning::") && l.includes("/w from /subscriptions/elsewhere")));
    assert.equal(world.connections[SQL][2].properties.privateLinkServiceConnectionState?.status, "Pending");
  });

  it("approves nothing of a factory endpoint Azure has not provisioned yet: a stranger's of its name waits, then clashes", async () => {
    const strangerFirst: Record<string, Connection[]> = {
      [SQL]: [
        {
          id: `${SQL}/privateEndpointConnections/x`,
          properties: {
            privateEndpoint: {
              id: "/subscriptions/attacker/providers/Microsoft.Network/privateEndpoints/adf-pay-dev-weu-1a2b.mpe-oltp-sql",
            },
            privateLinkServiceConnectionState: { status: "Pending" },
          },
        },
      ],
      [LAKE]: [conn(LAKE, "b", "adf-pay-dev-weu-1a2b.mpe-lake-dfs", "Approved")],
    };
    const world = { connections: strangerFirst, provisioning: { "mpe-oltp-sql": "Provisioning" } };
    const { az } = fakeAz(world);
    const sqlOnly = expectations(az, STACK).filter((e) => e.targetId === SQL);
    await assert.rejects(
      approveAll(az, sqlOnly, { attempts: 2, delayMs: 0, log: () => undefined }),
      /never appeared\):\n.*the factory never reported its endpoint Succeeded/,
    );
    assert.equal(world.connections[SQL][0].properties.privateLinkServiceConnectionState?.status, "Pending");
    // Once the factory's own endpoint exists, its connection is the second claimant: still nothing approved.
    world.provisioning["mpe-oltp-sql"] = "Succeeded";
    world.connections[SQL].push(conn(SQL, "a", "adf-pay-dev-weu-1a2b.mpe-oltp-sql", "Pending"));
    await assert.rejects(approveAll(az, sqlOnly, { attempts: 1, delayMs: 0, log: () => undefined }), /claimed twice/);
    assert.deepEqual(
      world.connections[SQL].map((c) => c.properties.privateLinkServiceConnectionState?.status),
      ["Pending", "Pending"],
    );
  });

  it("tries a failed approval again on the next attempt without giving up on the others, and names one that keeps failing", async () => {
    const world = {
      connections: {
        [SQL]: [conn(SQL, "a", "adf-pay-dev-weu-1a2b.mpe-oltp-sql", "Pending")],
        [LAKE]: [conn(LAKE, "b", "adf-pay-dev-weu-1a2b.mpe-lake-dfs", "Pending")],
      },
    };
    const { az: inner } = fakeAz(world);
    // The SQL connection's first approval meets a 409 (the connection still updating); the lake's never fails.
    let conflicts = 1;
    const az: Az = (args) => {
      if (
        args.join(" ").startsWith("network private-endpoint-connection approve") &&
        args.includes(`${SQL}/privateEndpointConnections/a`) &&
        conflicts-- > 0
      )
        throw new Error("Conflict (409): another operation is in progress");
      return inner(args);
    };
    const expected = factoryExpectations("adf-pay-dev-weu-1a2b", [
      { name: "mpe-oltp-sql", properties: { privateLinkResourceId: SQL, provisioningState: "Succeeded" } },
      { name: "mpe-lake-dfs", properties: { privateLinkResourceId: LAKE, provisioningState: "Succeeded" } },
    ]);
    const lines: string[] = [];
    const approved = await approveAll(az, expected, { attempts: 3, delayMs: 0, log: (l) => lines.push(l) });
    assert.deepEqual(approved.map((id) => id.split("/").pop()).sort(), ["a", "b"]);
    assert.ok(
      lines.some((l) => /Conflict \(409\).*attempt 1 of 3/.test(l)),
      lines.join("\n"),
    );
    // One that keeps failing is named, after the others were approved.
    const { az: inner2 } = fakeAz({
      connections: {
        [SQL]: [conn(SQL, "a", "adf-pay-dev-weu-1a2b.mpe-oltp-sql", "Pending")],
        [LAKE]: [conn(LAKE, "b", "adf-pay-dev-weu-1a2b.mpe-lake-dfs", "Pending")],
      },
    });
    const always: Az = (args) => {
      if (args.join(" ").startsWith("network private-endpoint-connection list") && args.includes(SQL))
        throw new Error("TooManyRequests (429)");
      return inner2(args);
    };
    const done: string[] = [];
    await assert.rejects(
      approveAll(always, expected, { attempts: 2, delayMs: 0, log: (l) => done.push(l) }),
      /Azure kept failing\):\n.*TooManyRequests/,
    );
    assert.ok(
      done.some((l) => /approved .*\/b /.test(l)),
      "the lake's connection was still approved",
    );
  });

  it("waits for a connection that has not appeared, and fails naming it if it never does", async () => {
    const { az, calls } = fakeAz({ connections: {} });
    const expected = factoryExpectations("adf-pay-dev-weu-1a2b", [
      { name: "mpe-oltp-sql", properties: { privateLinkResourceId: SQL } },
    ]);
    await assert.rejects(
      approveAll(az, expected, { attempts: 3, delayMs: 1, log: () => undefined }),
      /never appeared[\s\S]*no connection from adf-pay-dev-weu-1a2b\.mpe-oltp-sql on .*sql-pay-dev-weu-1a2b/,
    );
    assert.equal(calls.filter((c) => c.join(" ").startsWith("network private-endpoint-connection list")).length, 3);
  });

  it("drift: reports a rejected, pending or missing connection, and passes when all are approved", () => {
    const e = factoryExpectations("f", [{ name: "mpe", properties: { privateLinkResourceId: SQL } }])[0];
    assert.match(connectionProblems([], e).join(), /no private endpoint connection from f\.mpe/);
    assert.match(connectionProblems([conn(SQL, "a", "f.mpe", "Rejected")], e).join(), /a is Rejected, not Approved/);
    assert.deepEqual(connectionProblems([conn(SQL, "a", "f.mpe", "Approved")], e), []);
    assert.deepEqual(pendingOf([conn(SQL, "a", "f.mpe", "Approved")], e), []);
  });

  it("starts what is not started and stops only what is started", () => {
    const triggers = [
      { name: "a", properties: { runtimeState: "Started" } },
      { name: "b", properties: { runtimeState: "Stopped" } },
      { name: "c", properties: { runtimeState: "Disabled" } },
    ];
    assert.deepEqual(
      triggersToStart(triggers).map((t) => t.name),
      ["b", "c"],
    );
    assert.deepEqual(
      triggersToStop(triggers).map((t) => t.name),
      ["a"],
    );
  });

  it("stops the started triggers and reads them back until none is started (the stop is a long-running operation)", async () => {
    // Azure reports the trigger Started on the first read after the stop, Stopped on the next.
    const states: Record<string, string[]> = { a: ["Started", "Started", "Stopped"], b: ["Stopped"] };
    const reads: Record<string, number> = { a: 0, b: 0 };
    const calls: string[] = [];
    const az: Az = (args) => {
      const a = args.join(" ");
      calls.push(a);
      if (a.includes("/triggers?"))
        return {
          value: Object.keys(states).map((name) => ({
            name,
            properties: { runtimeState: states[name][Math.min(reads[name]++, states[name].length - 1)] },
          })),
        };
      if (a.includes("--method post")) return null;
      throw new Error(`unexpected az ${a}`);
    };
    const acted = await setTriggers(az, FACTORY, "stop", { attempts: 5, delayMs: 0, log: () => undefined });
    assert.deepEqual(acted, ["a"]);
    assert.deepEqual(
      calls.filter((c) => c.includes("--method post")).map((c) => c.split("/triggers/")[1].split("?")[0]),
      ["a/stop"],
    );
    assert.equal(calls.filter((c) => c.includes("/triggers?")).length, 3, "read back until stopped");
    // A Disabled trigger is started (as before) but not waited for: starting it does not make it Started.
    const disabled: Az = (args) =>
      args.join(" ").includes("/triggers?")
        ? { value: [{ name: "d", properties: { runtimeState: "Disabled" } }] }
        : null;
    assert.deepEqual(await setTriggers(disabled, FACTORY, "start", { attempts: 2, delayMs: 0, log: () => undefined }), [
      "d",
    ]);
    // One that never stops fails, naming it and its state.
    const stuck: Az = (args) =>
      args.join(" ").includes("/triggers?")
        ? { value: [{ name: "a", properties: { runtimeState: "Started" } }] }
        : null;
    await assert.rejects(
      setTriggers(stuck, FACTORY, "stop", { attempts: 3, delayMs: 0, log: () => undefined }),
      /triggers not stopped after 3 checks: a \(Started\)/,
    );
  });
});

describe("etl:ops sleep-if-off-hours: working hours in the schedule's time zone", () => {
  const dev = { timeZone: "W. Europe Standard Time", resumeAt: "07:00", pauseAt: "19:00", weekdaysOnly: true };
  const at = (iso: string) => isOffHours(dev, new Date(iso));
  it("reads the clock in the schedule's zone, summer and winter time alike", () => {
    // Wednesday 1 July 2026: Berlin is UTC+2. 17:30Z is 19:30 there (off), 16:30Z is 18:30 (working).
    assert.equal(at("2026-07-01T17:30:00Z"), true);
    assert.equal(at("2026-07-01T16:30:00Z"), false);
    // Thursday 15 January 2026: UTC+1. 17:30Z is 18:30 (working), 18:00Z is 19:00 (off: pauseAt itself is off).
    assert.equal(at("2026-01-15T17:30:00Z"), false);
    assert.equal(at("2026-01-15T18:00:00Z"), true);
    // 05:59Z is 06:59 in winter (off); 06:00Z is 07:00 (working: resumeAt itself is working).
    assert.equal(at("2026-01-15T05:59:00Z"), true);
    assert.equal(at("2026-01-15T06:00:00Z"), false);
  });
  it("is off all weekend on a weekdays-only schedule, and not on an every-day one", () => {
    assert.equal(at("2026-07-04T10:00:00Z"), true, "Saturday noon");
    assert.equal(isOffHours({ ...dev, weekdaysOnly: false }, new Date("2026-07-04T10:00:00Z")), false);
    // Sunday 23:30Z is already Monday 01:30 in Berlin: still off (before resumeAt).
    assert.equal(at("2026-07-05T23:30:00Z"), true);
  });
  it("names the key and the zones it knows when it cannot map the time zone", () => {
    assert.throws(
      () => isOffHours({ ...dev, timeZone: "Pacific Standard Time" }, new Date()),
      /olap\.pauseSchedule\.timeZone: 'Pacific Standard Time' is not one of UTC, GMT Standard Time, W\. Europe Standard Time/,
    );
  });
  it("starts a run of the named pipeline of the factory through ARM", () => {
    const calls: (readonly string[])[] = [];
    const az: Az = (args) => {
      calls.push(args);
      return args.includes("post") ? { runId: "run-1" } : { value: [{ name: "etl_offhours_stop" }] };
    };
    assert.deepEqual(pipelinesOf(az, FACTORY), ["etl_offhours_stop"]);
    assert.equal(runPipeline(az, FACTORY, "etl_offhours_stop"), "run-1");
    assert.deepEqual(calls[1], [
      "rest",
      "--method",
      "post",
      "--url",
      `https://management.azure.com${FACTORY}/pipelines/etl_offhours_stop/createRun?api-version=2018-06-01`,
    ]);
  });
});

describe("etl:ops sleep-if-off-hours: not just before the morning start", () => {
  const dev = { timeZone: "W. Europe Standard Time", resumeAt: "07:00", pauseAt: "19:00", weekdaysOnly: true };
  it("sleeps at night, not within 30 minutes of resumeAt (the start run could find everything awake and leave)", () => {
    // Thursday 15 January 2026, Berlin UTC+1.
    assert.equal(sleepsNow(dev, new Date("2026-01-15T02:00:00Z")), true, "03:00");
    assert.equal(sleepsNow(dev, new Date("2026-01-15T05:29:00Z")), true, "06:29");
    assert.equal(sleepsNow(dev, new Date("2026-01-15T05:31:00Z")), false, "06:31");
    assert.equal(sleepsNow(dev, new Date("2026-01-15T10:00:00Z")), false, "11:00: working hours");
    // Sunday 23:45 in Berlin (22:45Z): Monday 00:15 is still off hours.
    assert.equal(sleepsNow(dev, new Date("2026-01-18T22:45:00Z")), true);
  });
});

describe("etl:ops wake-pool / pause-pool: the dev pool is online for pulumi up, and paused again after it", () => {
  const POOL = `${WS}/sqlPools/sqldw`;
  /** A pool that answers GETs from a sequence of statuses and records the POSTs. */
  function poolAz(statuses: string[], missingGroups: string[] = []) {
    const calls: string[] = [];
    let i = 0;
    const az: Az = (args) => {
      const a = args.join(" ");
      calls.push(a);
      if (a.startsWith("group exists")) return !missingGroups.includes(args[args.indexOf("--name") + 1]);
      if (a.startsWith("resource list") && a.includes("Microsoft.Synapse/workspaces")) return [WS];
      if (a.includes(`${WS}/sqlPools?api-version=`)) return { value: [{ id: POOL, properties: {} }] };
      if (a.includes("--method get") && a.includes(`${POOL}?api-version=`))
        return { id: POOL, properties: { status: statuses[Math.min(i++, statuses.length - 1)] } };
      if (a.includes("--method post")) return null;
      throw new Error(`unexpected az ${a}`);
    };
    return { az, calls };
  }
  const opts = { attempts: 5, delayMs: 0, log: () => undefined };
  const posts = (calls: string[]) => calls.filter((c) => c.includes("--method post")).map((c) => c.split("/").pop());

  it("decides per status: Online is ready, Paused is resumed, anything else is waited for", () => {
    assert.equal(poolStep("Online"), "online");
    assert.equal(poolStep("Paused"), "resume");
    for (const s of ["Resuming", "Pausing", "Scaling", undefined]) assert.equal(poolStep(s), "wait");
  });

  it("resumes a paused pool, waits until it is online, and says which it woke", async () => {
    const { az, calls } = poolAz(["Paused", "Resuming", "Resuming", "Online"]);
    assert.deepEqual(await wakePools(az, STACK, opts), [POOL]);
    assert.deepEqual(posts(calls), ["resume?api-version=2021-06-01"]);
    pausePools(az, [POOL], () => undefined);
    assert.deepEqual(posts(calls), ["resume?api-version=2021-06-01", "pause?api-version=2021-06-01"]);
  });

  it("leaves an online pool alone, waits out a pause in progress before resuming, and gives up after the attempts", async () => {
    const online = poolAz(["Online"]);
    assert.deepEqual(await wakePools(online.az, STACK, opts), []);
    assert.deepEqual(posts(online.calls), []);
    const pausing = poolAz(["Pausing", "Paused", "Resuming", "Online"]);
    assert.deepEqual(await wakePools(pausing.az, STACK, opts), [POOL]);
    assert.deepEqual(posts(pausing.calls), ["resume?api-version=2021-06-01"]);
    await assert.rejects(wakePools(poolAz(["Resuming"]).az, STACK, opts), /still Resuming after 5 checks/);
  });

  it("sends one resume while Azure still reports Paused after it (a second could be refused), again only after a failed one", async () => {
    const slow = poolAz(["Paused", "Paused", "Paused", "Resuming", "Online"]);
    assert.deepEqual(await wakePools(slow.az, STACK, opts), [POOL]);
    assert.deepEqual(posts(slow.calls), ["resume?api-version=2021-06-01"]);
    // A resume that fails between two checks: still Paused RESUME_AGAIN_AFTER checks later, it is sent again.
    const quiet = poolAz(["Paused", "Paused", "Paused", "Paused", "Paused", "Resuming", "Online"]);
    assert.deepEqual(await wakePools(quiet.az, STACK, { ...opts, attempts: 10 }), [POOL]);
    assert.deepEqual(posts(quiet.calls), ["resume?api-version=2021-06-01", "resume?api-version=2021-06-01"]);
    const failed = poolAz(["Paused", "Resuming", "Paused", "Resuming", "Online"]);
    assert.deepEqual(await wakePools(failed.az, STACK, opts), [POOL]);
    assert.deepEqual(posts(failed.calls), ["resume?api-version=2021-06-01", "resume?api-version=2021-06-01"]);
  });

  it("tells the caller each pool as it resumes it, so a failure later in the wake still lets the deploy pause it", async () => {
    const told: (readonly string[])[] = [];
    await assert.rejects(
      wakePools(poolAz(["Paused", "Resuming"]).az, STACK, { ...opts, resumed: (ids) => told.push(ids) }),
      /still Resuming/,
    );
    assert.deepEqual(told, [[POOL]]);
  });

  it("pauses only a pool still online, and a failed pause is a warning, not an error", () => {
    const lines: string[] = [];
    const paused = poolAz(["Paused"]);
    assert.deepEqual(
      pausePools(paused.az, [POOL], (l) => lines.push(l)),
      [],
    );
    assert.deepEqual(posts(paused.calls), []);
    assert.match(lines[0], /is Paused: left as it is/);
    const failing: Az = () => {
      throw new Error("AuthorizationFailed");
    };
    assert.deepEqual(
      pausePools(failing, [POOL], (l) => lines.push(l)),
      [],
    );
    assert.match(lines[1], /::warning::could not pause sqldw again \(AuthorizationFailed\)/);
  });

  it("a stack whose data group does not exist yet has no pool to wake", async () => {
    const { az } = poolAz(["Paused"], [STACK.dataResourceGroup]);
    assert.deepEqual(await wakePools(az, STACK, opts), []);
  });
});

describe("etl:ops schema-deploy: runs etl_schema_deploy after up and waits for its end", () => {
  /** A factory whose one run goes through `statuses`, with `failed` activity runs. */
  function runWorld(statuses: string[], failed: { activityName: string; message: string }[] = [], message = "") {
    const calls: string[][] = [];
    const az: Az = (args) => {
      calls.push([...args]);
      const url = args[args.indexOf("--url") + 1] ?? "";
      if (url.includes("/pipelines/etl_schema_deploy/createRun")) return { runId: "run-1" };
      if (url.includes("/pipelineruns/run-1/queryActivityruns"))
        return {
          value: [
            { activityName: "etl_schema_deploy_oltp_1", status: "Succeeded" },
            ...failed.map((f) => ({ activityName: f.activityName, status: "Failed", error: { message: f.message } })),
          ],
        };
      if (url.includes("/pipelineruns/run-1?")) return { status: statuses.shift() ?? "InProgress", message };
      throw new Error(`unexpected az ${args.join(" ")}`);
    };
    return { az, calls };
  }
  const opts = { attempts: 5, delayMs: 0, log: () => undefined };

  it("returns Succeeded once the run has succeeded, having started exactly one run", async () => {
    const { az, calls } = runWorld(["Queued", "InProgress", "Succeeded"]);
    const outcome = await runAndWait(az, FACTORY, "etl_schema_deploy", opts);
    assert.deepEqual(outcome, { runId: "run-1", status: "Succeeded", failures: [] });
    assert.equal(calls.filter((c) => c.join(" ").includes("createRun")).length, 1);
    assert.ok(
      calls.every((c) => !c.join(" ").includes("queryActivityruns")),
      "no activity query on success",
    );
  });
  it("names each failed activity and its error (a THROW naming the migration), on one line each", async () => {
    const { az, calls } = runWorld(
      ["InProgress", "Failed"],
      [
        {
          activityName: "etl_schema_deploy_warehouse_1",
          message: "Operation on target 10 failed:\ndbo.Fact_Payment has no column Channel: the table predates…",
        },
      ],
    );
    const outcome = await runAndWait(az, FACTORY, "etl_schema_deploy", opts);
    assert.equal(outcome.status, "Failed");
    assert.deepEqual(outcome.failures, [
      "etl_schema_deploy_warehouse_1: Operation on target 10 failed: dbo.Fact_Payment has no column Channel: the table predates…",
    ]);
    const query = calls.find((c) => c.join(" ").includes("queryActivityruns"));
    const body = JSON.parse(query?.[query.indexOf("--body") + 1] ?? "{}") as Record<string, string>;
    assert.ok(Date.parse(body.lastUpdatedAfter) < Date.parse(body.lastUpdatedBefore), "a window around the run");
  });
  it("falls back to the run's own message when no activity says why (a cancelled run)", async () => {
    const { az } = runWorld(["Cancelled"], [], "Run was cancelled by user");
    const outcome = await runAndWait(az, FACTORY, "etl_schema_deploy", opts);
    assert.deepEqual(outcome.failures, ["Run was cancelled by user"]);
  });
  it("gives up after the attempts with a command to follow the run that works as printed (the run goes on in Azure)", async () => {
    const { az } = runWorld([]);
    await assert.rejects(
      runAndWait(az, FACTORY, "etl_schema_deploy", { ...opts, attempts: 3 }),
      (e: unknown) =>
        e instanceof Error &&
        e.message ===
          `etl_schema_deploy run run-1 is still InProgress after 3 checks: follow it with az rest --method get --url "https://management.azure.com${FACTORY}/pipelineruns/run-1?api-version=2018-06-01" --query "{status: status, message: message}"`,
    );
  });
});

describe("etl:ops schema-deploy: waits for a run already going before it changes the procedures", () => {
  function factoryWith(answers: { runId: string; pipelineName: string; status: string }[][]) {
    const bodies: Record<string, unknown>[] = [];
    const az: Az = (args) => {
      const url = args[args.indexOf("--url") + 1] ?? "";
      if (!url.includes("/queryPipelineRuns?")) throw new Error(`unexpected az ${args.join(" ")}`);
      bodies.push(JSON.parse(args[args.indexOf("--body") + 1] ?? "{}") as Record<string, unknown>);
      return { value: answers.shift() ?? [] };
    };
    return { az, bodies };
  }
  const opts = { attempts: 3, delayMs: 0, log: () => undefined, now: () => new Date("2026-12-06T02:10:00Z") };

  it("asks for the runs still going (queued, in progress, cancelling) of the last day", async () => {
    const { az, bodies } = factoryWith([[]]);
    assert.equal(await waitForIdle(az, FACTORY, opts), true);
    assert.deepEqual(bodies[0].filters, [
      { operand: "Status", operator: "In", values: ["Queued", "InProgress", "Canceling"] },
    ]);
    assert.equal(bodies[0].lastUpdatedAfter, "2026-12-05T02:10:00.000Z");
  });
  it("waits while the nightly load runs, then goes on; gives up after the attempts", async () => {
    const nightly = { runId: "r1", pipelineName: "etl_oltp_to_olap", status: "InProgress" };
    const lines: string[] = [];
    assert.equal(
      await waitForIdle(factoryWith([[nightly], [nightly], []]).az, FACTORY, { ...opts, log: (l) => lines.push(l) }),
      true,
    );
    assert.deepEqual(lines, ["waiting for etl_oltp_to_olap (run r1, InProgress) to finish"]);
    assert.equal(await waitForIdle(factoryWith([[nightly], [nightly], [nightly]]).az, FACTORY, opts), false);
  });
});

describe("the ops tools read every page of what Azure lists", () => {
  it("follows a list's nextLink to the last page (triggers, pipelines, endpoints, pools, role assignments)", () => {
    const calls: string[] = [];
    const az: Az = (args) => {
      const url = args[args.indexOf("--url") + 1];
      calls.push(url);
      if (url === "https://management.azure.com/x/triggers?api-version=1")
        return { value: [{ name: "a" }, { name: "b" }], nextLink: "https://management.azure.com/x/triggers?page=2" };
      if (url === "https://management.azure.com/x/triggers?page=2")
        return { value: [{ name: "c" }], nextLink: "https://management.azure.com/x/triggers?page=3" };
      if (url === "https://management.azure.com/x/triggers?page=3") return { value: [], nextLink: null };
      throw new Error(`unexpected ${url}`);
    };
    assert.deepEqual(
      pagedGet<{ name: string }>(az, "https://management.azure.com/x/triggers?api-version=1").map((t) => t.name),
      ["a", "b", "c"],
    );
    assert.equal(calls.length, 3);
  });

  it("sends a query's continuationToken back until the last page (the factory's runs, a run's activities)", () => {
    const bodies: Record<string, unknown>[] = [];
    const az: Az = (args) => {
      const body = JSON.parse(args[args.indexOf("--body") + 1]) as Record<string, unknown>;
      bodies.push(body);
      return body.continuationToken === undefined
        ? { value: [{ runId: "r1" }], continuationToken: "t2" }
        : body.continuationToken === "t2"
          ? { value: [{ runId: "r2" }], continuationToken: null }
          : { value: [{ runId: "never" }] };
    };
    assert.deepEqual(
      pagedQuery<{ runId: string }>(az, "/x/queryPipelineRuns?api-version=2018-06-01", { filters: [] }).map(
        (r) => r.runId,
      ),
      ["r1", "r2"],
    );
    assert.deepEqual(bodies, [{ filters: [] }, { filters: [], continuationToken: "t2" }]);
  });
});
