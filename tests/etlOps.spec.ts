import { strict as assert } from "node:assert";
import {
  approveAll,
  connectionProblems,
  expectations,
  factoryExpectations,
  pendingOf,
  triggersToStart,
  triggersToStop,
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
function fakeAz(world: { connections: Record<string, Connection[]>; triggers?: unknown[] }) {
  const calls: string[][] = [];
  const az: Az = (args) => {
    calls.push([...args]);
    const a = args.join(" ");
    if (a.startsWith("resource list") && a.includes("Microsoft.DataFactory/factories")) return [FACTORY];
    if (a.startsWith("resource list") && a.includes("Microsoft.Synapse/workspaces")) return [WS];
    if (a.startsWith("resource show")) return LAKE;
    if (a.includes("/managedPrivateEndpoints?"))
      return {
        value: [
          { name: "mpe-oltp-sql", properties: { privateLinkResourceId: SQL, groupId: "sqlServer" } },
          { name: "mpe-lake-dfs", properties: { privateLinkResourceId: LAKE, groupId: "dfs" } },
        ],
      };
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
});
