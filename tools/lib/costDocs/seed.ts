/** The seed's cost table and what the two documents share. */
import type { ResourceRecord } from "../policyRunner";
import { type CapacityRow } from "../cost/capacity";
import type { Estimate } from "../cost/estimate";
import { type LoadConfig, type UsageConfig } from "../../../lib/usage";

export const usd = (n: number) => `$${Math.round(n).toLocaleString("en-US")}`;

/** The seed's cost table (USD/month, West Europe) and which estimate lines each row corresponds to. */
export const SEED: readonly {
  service: string;
  sku: string;
  seed: number;
  match: (type: string, name: string) => boolean;
}[] = [
  {
    service: "Azure SQL Database",
    sku: "BC Gen5 8 vCore",
    seed: 2920,
    match: (t, n) => t.endsWith("sql:Database") && !n.includes("secondary"),
  },
  { service: "Azure Synapse Analytics", sku: "DW500c", seed: 5840, match: (t) => t.includes(":synapse:") },
  { service: "Azure Cosmos DB", sku: "110K RU/s autoscale", seed: 7920, match: (t) => t.includes(":cosmosdb:") },
  {
    service: "Azure Data Factory",
    sku: "100 pipeline runs/day",
    seed: 350,
    match: (t) => t.includes(":datafactory:"),
  },
  { service: "Azure Storage", sku: "10 TB hot + 50 TB cool", seed: 450, match: (t) => t.includes(":storage:") },
  { service: "Azure Monitor", sku: "Logs + Metrics", seed: 280, match: (t) => t.includes(":operationalinsights:") },
  {
    service: "Networking",
    sku: "VNet + Private Links",
    seed: 240,
    match: (t) => /:(PrivateEndpoint|PublicIPAddress)$|privatedns:PrivateZone$/.test(t),
  },
];

export interface StackCost {
  readonly resources: readonly ResourceRecord[];
  readonly usage: UsageConfig;
  readonly load: LoadConfig;
  readonly estimate: Estimate;
  readonly capacity: readonly CapacityRow[];
}

export function sumWhere(e: Estimate, f: (type: string, name: string) => boolean) {
  const ls = e.lines.filter((l) => f(l.type, l.name));
  return { list: ls.reduce((s, l) => s + l.list, 0), committed: ls.reduce((s, l) => s + l.committed, 0), n: ls.length };
}

/** A hand-made resource a scenario adds to the stack (e.g. a DDoS Network Protection plan, a Stream Analytics cluster). */
export function planned(type: string, name: string, inputs: Record<string, unknown>): ResourceRecord {
  return {
    urn: `urn:pulumi:prod::payments-data-platform::payments:scenario:Planned$azure-native:${type}::${name}`,
    type: `azure-native:${type}`,
    name,
    custom: true,
    parent: "urn:pulumi:prod::payments-data-platform::payments:scenario:Planned::scenario",
    dependencies: [],
    propertyDependencies: {},
    inputs,
    outputs: {},
    protect: false,
  };
}
