/**
 * The private endpoint subnet's NSG admits each endpoint's service ports from the network and nothing else (PCI DSS
 * 1.3.1): evaluated here rule by rule, in priority order, as Azure applies an NSG to an endpoint's interface, for every
 * private endpoint of both stacks.
 */
import { strict as assert } from "node:assert";
import { nsgRules, privateEndpointRules, SUBNETS } from "../components/platform/subnets";
import { ENDPOINT_PORT_GROUPS, PRIVATE_ENDPOINT_PORTS } from "../lib/privateLink";
import type { ResourceRecord } from "../tools/lib/policyRunner";
import { byName, configOf, ofType, previewEdited, previewOf } from "./helpers/stacks";

type Rule = Record<string, unknown>;

/**
 * The ports a client in the network uses on each kind of endpoint (provider namespace / group id), from each
 * service's documentation (lib/privateLink.ts quotes them). A new kind of endpoint fails the test until it is listed.
 */
const NEEDS: Readonly<Record<string, readonly number[]>> = {
  "microsoft.sql/sqlserver": [1433, 11000, 11999, 65535],
  "microsoft.synapse/sql": [1433],
  "microsoft.synapse/sqlondemand": [1433],
  "microsoft.synapse/dev": [443],
  "microsoft.synapse/web": [443],
  "microsoft.documentdb/sql": [443],
  "microsoft.eventhub/namespace": [443, 5671],
  "microsoft.storage/blob": [443],
  "microsoft.storage/dfs": [443],
  "microsoft.storage/queue": [443],
  "microsoft.storage/table": [443],
  "microsoft.storage/file": [443, 445],
  "microsoft.keyvault/vault": [443],
  "microsoft.containerregistry/registry": [443],
  "microsoft.web/sites": [443],
  "microsoft.insights/azuremonitor": [443],
  "microsoft.machinelearningservices/amlworkspace": [443, 8787, 18881],
  "microsoft.datafactory/datafactory": [443],
  "microsoft.datafactory/portal": [443],
};

/** The SQL endpoints, which take SQL's redirect range (1433-65535: ENDPOINT_PORT_GROUPS.sql). */
const REDIRECTING = ["microsoft.sql/sqlserver", "microsoft.synapse/sql", "microsoft.synapse/sqlondemand"];

/** Ports nothing here uses: SSH, RDP, SMB (but on a file share), plain AMQP, Kafka, WinRM, HTTP. */
const NEVER = [22, 80, 3389, 5672, 5985, 9093];

/** The endpoint's kind: the namespace of the resource it connects to and its group id. */
function kindOf(pe: ResourceRecord): string {
  const [c] = pe.inputs.privateLinkServiceConnections as { privateLinkServiceId: string; groupIds: string[] }[];
  const namespace = /\/providers\/([^/]+)\//i.exec(c.privateLinkServiceId)?.[1] ?? "?";
  return `${namespace}/${c.groupIds[0]}`.toLowerCase();
}

const inRange = (port: number, range: string) => {
  if (range === "*") return true;
  const [lo, hi] = range.split("-").map(Number);
  return port >= lo && port <= (hi ?? lo);
};

/** What the NSG does with TCP from a host of the network (the `VirtualNetwork` tag, not the gateway) to `port`. */
function decision(rules: readonly Rule[], asgIds: readonly string[], port: number): string {
  const inbound = rules
    .filter((r) => r.direction === "Inbound")
    .sort((a, b) => Number(a.priority) - Number(b.priority));
  for (const r of inbound) {
    const sources = [r.sourceAddressPrefix, ...((r.sourceAddressPrefixes as string[] | undefined) ?? [])];
    if (!sources.some((s) => s === "*" || s === "VirtualNetwork")) continue;
    if (!["Tcp", "*"].includes(String(r.protocol))) continue;
    const groups = (r.destinationApplicationSecurityGroups as { id: string }[] | undefined)?.map((g) => g.id);
    if (groups && !groups.some((g) => asgIds.includes(g))) continue;
    const ranges = [r.destinationPortRange, ...((r.destinationPortRanges as string[] | undefined) ?? [])].filter(
      (x): x is string => typeof x === "string",
    );
    if (!ranges.some((range) => inRange(port, range))) continue;
    return `${String(r.access)} (${String(r.name)})`;
  }
  return "Deny (Azure's default)";
}

describe("private endpoints: their subnet admits each service's ports from the network, nothing else", () => {
  it("the general allow names the common ports, never any port", () => {
    const rules = nsgRules(SUBNETS.privateEndpoints, "westeurope", 200);
    const allow = rules.find((r) => r.name === "allow-vnet-to-private-endpoints");
    assert.deepEqual(
      [
        allow?.priority,
        allow?.protocol,
        allow?.sourceAddressPrefix,
        allow?.destinationPortRanges,
        allow?.destinationPortRange,
      ],
      [200, "Tcp", "VirtualNetwork", [...PRIVATE_ENDPOINT_PORTS], undefined],
    );
  });

  it("one allow per port group, to its application security group only, between the payment API's rules and the general one", () => {
    const cfg = configOf("prod");
    const withDeploy = {
      ...cfg,
      ingestion: { ...cfg.ingestion, gateway: { ...cfg.ingestion.gateway, paymentApiDeploySources: ["10.40.0.0/27"] } },
    };
    const rules = privateEndpointRules(withDeploy, "asg-payapi", { sql: "asg-sql", ml: "asg-ml", smb: "asg-smb" });
    assert.deepEqual(
      rules.map((r) => [
        r.priority,
        r.name,
        r.destinationApplicationSecurityGroups,
        r.destinationPortRanges ?? r.destinationPortRange,
      ]),
      [
        [100, "allow-gateway-and-deploy-to-payment-api", [{ id: "asg-payapi" }], "443"],
        [110, "deny-others-to-payment-api", [{ id: "asg-payapi" }], "*"],
        [120, "allow-vnet-to-pepsql-endpoints", [{ id: "asg-sql" }], ENDPOINT_PORT_GROUPS.sql.ports],
        [130, "allow-vnet-to-pepml-endpoints", [{ id: "asg-ml" }], ENDPOINT_PORT_GROUPS.ml.ports],
        [140, "allow-vnet-to-pepsmb-endpoints", [{ id: "asg-smb" }], ENDPOINT_PORT_GROUPS.smb.ports],
      ],
    );
  });

  /** Every endpoint of a stack: its service's ports allowed from a host of the network, the others refused. */
  function checkEndpoints(resources: readonly ResourceRecord[]): void {
    const rules = byName(resources, "platform-nsg-privateEndpoints").inputs.securityRules as Rule[];
    const endpoints = ofType(resources, "azure-native:network:PrivateEndpoint");
    assert.ok(endpoints.length > 20);
    const kinds = new Set<string>();
    for (const pe of endpoints) {
      const kind = kindOf(pe);
      kinds.add(kind);
      const needs = NEEDS[kind];
      assert.ok(needs, `${pe.name}: a ${kind} endpoint, whose ports this test does not know: list them in NEEDS`);
      const asgs = ((pe.inputs.applicationSecurityGroups as { id: string }[] | undefined) ?? []).map((a) => a.id);
      // With the runners' ranges set, the payment API's endpoint is the gateway's and the runners' alone.
      if (pe.name === "ingestion-payapi-app-pep" && rules.some((r) => r.name === "deny-others-to-payment-api")) {
        assert.match(decision(rules, asgs, 443), /^Deny \(deny-others-to-payment-api\)/, "a host of the network");
        continue;
      }
      for (const port of needs) assert.match(decision(rules, asgs, port), /^Allow/, `${pe.name} (${kind}) on ${port}`);
      for (const port of NEVER.filter((p) => !needs.includes(p)))
        // SQL's redirect range (the SQL port group) spans every port above 1433.
        if (!(REDIRECTING.includes(kind) && port > 1433))
          assert.match(decision(rules, asgs, port), /^Deny/, `${pe.name} (${kind}) on ${port}`);
    }
    // Both stacks hold endpoints of every group: each group's rule is exercised.
    assert.ok(kinds.has("microsoft.sql/sqlserver") && kinds.has("microsoft.storage/file"));
    assert.ok(kinds.has("microsoft.machinelearningservices/amlworkspace"));
  }

  for (const stack of ["dev", "prod"] as const) {
    it(`${stack}: every endpoint takes its service's ports and refuses the others`, async () => {
      checkEndpoints((await previewOf(stack)).run.resources);
    });
  }

  it("prod with the deploy runners' ranges: the payment API's endpoint refuses the rest of the network", async () => {
    const { run } = await previewEdited("prod", (config) => {
      const ingestion = config["payments-data-platform:ingestion"] as { gateway: Record<string, unknown> };
      ingestion.gateway.paymentApiDeploySources = ["10.40.0.0/27"];
    });
    const rules = byName(run.resources, "platform-nsg-privateEndpoints").inputs.securityRules as Rule[];
    assert.ok(rules.some((r) => r.name === "deny-others-to-payment-api"));
    checkEndpoints(run.resources);
  });
});
