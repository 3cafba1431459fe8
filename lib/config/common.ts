/** Stack configuration: the project, environments, regions, subnets, SKU lists and the validators every key shares. */
import { z } from "../zod";
import { formatCidr, parseCidr } from "../cidr";
import { REGION_SHORT } from "../naming";

/** The Pulumi project name (config namespace). Keep in sync with Pulumi.yaml. */
export const PROJECT = "payments-data-platform";

export const ENVIRONMENTS = ["dev", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** EU regions only (GDPR data residency); every one has a short code for names. */
export const EU_REGIONS = Object.keys(REGION_SHORT);

/** Subnet roles of the platform VNet, in carving order (never reorder: it would move existing subnets). */
export const SUBNET_ROLES = [
  "privateEndpoints",
  "functions",
  "appGateway",
  "mlCompute",
  "streamAnalytics",
  "firewall",
  "flexFunctions",
] as const;
export type SubnetRole = (typeof SUBNET_ROLES)[number];
/** Default prefix length per role when subnets are carved from the address space. */
export const SUBNET_PREFIX: Readonly<Record<SubnetRole, number>> = {
  privateEndpoints: 24,
  functions: 26,
  appGateway: 24,
  mlCompute: 24,
  streamAnalytics: 26,
  firewall: 26,
  flexFunctions: 24,
};

export const SQL_SKUS = ["GP_S_Gen5", "GP_Gen5", "BC_Gen5", "HS_Gen5"] as const;
/** vCore counts Azure SQL Database offers for Gen5 (serverless max 80). */
export const SQL_VCORES = [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 24, 32, 40, 80] as const;
export const BACKUP_REDUNDANCY = ["Local", "Zone", "Geo", "GeoZone"] as const;
export const COSMOS_CONSISTENCY = ["Strong", "BoundedStaleness", "Session", "ConsistentPrefix", "Eventual"] as const;
export const COSMOS_CONTAINERS = ["apiLogs", "sessions", "fraudFeatures", "webhookEvents", "leases"] as const;
export const ML_VM_PRIORITIES = ["Dedicated", "LowPriority"] as const;
/**
 * The CPU VM sizes Azure Machine Learning managed online endpoints accept (MicrosoftDocs/azure-ai-docs
 * articles/machine-learning/reference-managed-online-endpoints-vm-sku-list.md; the GPU sizes are left out: the fraud
 * model is a small tabular one). Any other size fails only when the release pipeline creates the deployment.
 */
export const ONLINE_ENDPOINT_CPU_SKUS = [
  ...[2, 4, 8, 16, 32, 48, 64, 96].flatMap((n) => [`Standard_D${n}as_v4`, `Standard_D${n}a_v4`]),
  ...[1, 2, 3, 4, 5].map((n) => `Standard_DS${n}_v2`),
  ...[2, 4, 8, 16, 32, 48, 64].map((n) => `Standard_E${n}s_v3`),
  ...[2, 4, 8, 16, 32, 48, 64, 72].map((n) => `Standard_F${n}s_v2`),
  ...[4, 12, 24, 36, 48].map((n) => `Standard_FX${n}mds`),
  ...[8, 16, 32, 48, 64, 80].map((n) => `Standard_L${n}as_v3`),
  ...[8, 16, 32, 48, 64, 80].flatMap((n) => [`Standard_L${n}s_v2`, `Standard_L${n}s_v3`]),
] as const;
export type CosmosContainerKey = (typeof COSMOS_CONTAINERS)[number];

export const list = (values: readonly (string | number)[]) => values.join(", ");

/**
 * The EU regions with availability zones (learn.microsoft.com/azure/reliability/regions-list: France South, Germany
 * North and Sweden South have none). The primary region needs them always: the firewall, the gateway and
 * their public IPs span zones 1-3 and function host storage is zone-redundant (ZRS); the secondary region when a
 * zone-redundant SQL geo-secondary or Cosmos DB region goes there.
 */
export const AVAILABILITY_ZONE_REGIONS: readonly string[] = EU_REGIONS.filter(
  (r) => !["francesouth", "germanynorth", "swedensouth"].includes(r),
);

export const euRegion = z.enum(EU_REGIONS as [string, ...string[]], {
  error: () => `must be an EU region (GDPR data residency): one of ${list(EU_REGIONS)}`,
});
export const cidr = z.string().refine(
  (v) => {
    const c = parseCidr(v);
    // As written is what reaches Azure: no spaces, no leading zeros (`010.20.0.0/16` is not what it parses as).
    return c !== undefined && formatCidr(c) === v;
  },
  { error: "must be an IPv4 CIDR with host bits zero, written plainly, e.g. 10.20.0.0/16" },
);
export const guid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "must be an Entra object id (GUID)");
/** A virtual network's ARM resource id (the hub a stack's VNet peers with). */
export const vnetId = z
  .string()
  .regex(
    /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+$/i,
    "must be a virtual network's resource id: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<name>",
  );
/** An existing DDoS Network Protection plan (any subscription of the tenant: a hub's plan, say). */
export const ddosPlanId = z
  .string()
  .regex(
    /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/ddosProtectionPlans\/[^/]+$/i,
    "must be a DDoS protection plan's resource id: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/ddosProtectionPlans/<name>",
  );
export const email = z.email({ error: "must be an e-mail address, e.g. data-oncall@example.com" });
export const int = (min: number, max: number, what = "") =>
  z
    .number({ error: `must be a whole number${what}` })
    .int({ error: `must be a whole number${what}` })
    .min(min, { error: `must be between ${min} and ${max}${what}` })
    .max(max, { error: `must be between ${min} and ${max}${what}` });
export const isoDuration = z
  .string()
  .regex(/^P(\d+[YMWD])$/, "must be an ISO 8601 duration in whole weeks/months/years/days, e.g. P12W, P12M, P10Y");
