/**
 * Where data goes when a service names its destination by host or name rather than by ARM id: a Data Factory linked
 * service's server, URL or account endpoint (what its copy and script activities write to), and a Stream Analytics
 * job's outputs and job storage. destinations.ts checks the destinations named by id; here a linked service pointed
 * at `sql-attacker.database.windows.net` or a job writing to another tenant's Event Hubs namespace or to Power BI
 * would pass every rule of the pack, and each run would copy payment data there. The hosts must be the stack's own
 * services (the SQL servers and failover group listeners, Synapse workspaces, storage accounts, Cosmos DB accounts,
 * Event Hubs namespaces, Key Vaults, web apps), or listed with a reason. PCI DSS 1.3.2, 1.4.4 (outbound CDE traffic
 * restricted); GDPR Art. 32(1)(b) and 44.
 */
import type { Policies, PolicyResource } from "@pulumi/policy";
import { exemptionSchema, listedName, type Exemption } from "../lib/exemptions";
import { ofType, stackPolicy } from "../lib/policy";
import { presence, requireKnown, sameText, valueAt, who } from "../lib/values";

/** Which of the stack's resources answer on an Azure data-plane host suffix, and the input holding their name. */
const HOST_OWNERS: readonly { suffixes: readonly string[]; owners: readonly (readonly [string, string])[] }[] = [
  {
    suffixes: [".database.windows.net"],
    owners: [
      ["azure-native:sql:Server", "serverName"],
      ["azure-native:sql:FailoverGroup", "failoverGroupName"],
    ],
  },
  {
    suffixes: [".sql.azuresynapse.net", ".dev.azuresynapse.net"],
    owners: [["azure-native:synapse:Workspace", "workspaceName"]],
  },
  {
    suffixes: [
      ".dfs.core.windows.net",
      ".blob.core.windows.net",
      ".queue.core.windows.net",
      ".table.core.windows.net",
      ".file.core.windows.net",
    ],
    owners: [["azure-native:storage:StorageAccount", "accountName"]],
  },
  { suffixes: [".documents.azure.com"], owners: [["azure-native:cosmosdb:DatabaseAccount", "accountName"]] },
  { suffixes: [".servicebus.windows.net"], owners: [["azure-native:eventhub:Namespace", "namespaceName"]] },
  { suffixes: [".vault.azure.net"], owners: [["azure-native:keyvault:Vault", "vaultName"]] },
  { suffixes: [".azurewebsites.net"], owners: [["azure-native:web:WebApp", "name"]] },
  // `<endpoint>.<region>.inference.ml.azure.com`: the endpoint is the first label.
  {
    suffixes: [".inference.ml.azure.com"],
    owners: [["azure-native:machinelearningservices:OnlineEndpoint", "endpointName"]],
  },
];

/** A Stream Analytics datasource's type → the owners its name property names (`serviceBusNamespace`, `server`, …). */
const ASA_OWNERS: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  "microsoft.servicebus/eventhub": [["azure-native:eventhub:Namespace", "namespaceName"]],
  "microsoft.eventhub/eventhub": [["azure-native:eventhub:Namespace", "namespaceName"]],
  "microsoft.storage/blob": [["azure-native:storage:StorageAccount", "accountName"]],
  "microsoft.storage/table": [["azure-native:storage:StorageAccount", "accountName"]],
  "microsoft.sql/server/database": [
    ["azure-native:sql:Server", "serverName"],
    ["azure-native:sql:FailoverGroup", "failoverGroupName"],
  ],
  "microsoft.sql/server/datawarehouse": [
    ["azure-native:sql:Server", "serverName"],
    ["azure-native:synapse:Workspace", "workspaceName"],
  ],
  "microsoft.documentdb": [["azure-native:cosmosdb:DatabaseAccount", "accountName"]],
  // The 3.28 SDK's DocumentDbOutputDataSourceArgs type.
  "microsoft.storage/documentdb": [["azure-native:cosmosdb:DatabaseAccount", "accountName"]],
  "microsoft.azurefunction": [["azure-native:web:WebApp", "name"]],
  "microsoft.servicebus/queue": [["azure-native:servicebus:Namespace", "namespaceName"]],
  "microsoft.servicebus/topic": [["azure-native:servicebus:Namespace", "namespaceName"]],
};

/** Where each Stream Analytics datasource type keeps the name of its destination (a list for blob storage). */
const ASA_NAME_PATHS: Readonly<Record<string, readonly string[]>> = {
  "microsoft.servicebus/eventhub": ["serviceBusNamespace"],
  "microsoft.eventhub/eventhub": ["serviceBusNamespace"],
  "microsoft.storage/blob": ["storageAccounts", "*", "accountName"],
  "microsoft.storage/table": ["accountName"],
  "microsoft.sql/server/database": ["server"],
  "microsoft.sql/server/datawarehouse": ["server"],
  "microsoft.documentdb": ["accountId"],
  "microsoft.storage/documentdb": ["accountId"],
  "microsoft.azurefunction": ["functionAppName"],
  "microsoft.servicebus/queue": ["serviceBusNamespace"],
  "microsoft.servicebus/topic": ["serviceBusNamespace"],
};

/**
 * The linked service inputs that name the host it connects to (the 3.28 SDK's `*LinkedServiceArgs`): where an
 * expression or a Key Vault secret stands instead, the pack cannot see the host.
 */
const LINKED_SERVICE_HOST_KEYS = [
  "serviceUrl",
  "functionAppUrl",
  "containerUri",
  "domain",
  "environmentUrl",
  "accountIdentifier",
  "clusterUri",
  "mlEndpoint",
  "dataLakeStoreUri",
  "batchUri",
  "hostName",
  "serviceUri",
  "siteUrl",
  "messageServer",
  "url",
  "server",
  "accountEndpoint",
  "baseUrl",
  "serviceEndpoint",
  "endpoint",
  "host",
  "connectionString",
  "sasUri",
];

/** The host names in a value: a URL's, `tcp:host,1433`, or those a connection string's keys name. */
export function hostsIn(value: string): string[] {
  const out = new Set<string>();
  for (const m of value.matchAll(
    /(?:^|[\s;=:/@,])([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)/gi,
  )) {
    const host = m[1].toLowerCase();
    // A version, an address or a number is no host name; a name needs a letter in its last label.
    if (/[a-z]/.test(host.split(".").pop() ?? "")) out.add(host);
  }
  return [...out];
}

/** One destination: a host or a bare name, who names it, where, and the owners that may answer to it. */
interface Named {
  readonly owner: PolicyResource;
  readonly path: string;
  /** A host (`x.database.windows.net`) or, with `owners`, a bare resource name. */
  readonly value: string;
  /** For a bare name: the stack resources it must be one of. */
  readonly owners?: readonly (readonly [string, string])[];
}

/** The name of a stack resource as Azure knows it: its name input, or its `name` output (the deployed view's). */
function azureName(r: PolicyResource, key: string): { name?: string; unknownKey?: string } {
  for (const k of [key, "name"]) {
    if (presence(r.props, k) === "unknown") return { unknownKey: k };
    const v = valueAt(r.props, k);
    if (typeof v === "string" && v !== "") return { name: v.toLowerCase() };
  }
  return { name: r.name.toLowerCase() };
}

/**
 * A value unknown during preview is another resource's output: counted as the stack's when the engine recorded the
 * property (its top-level key) as depending on a resource of the stack, undecided otherwise.
 */
function unknownOk(owner: PolicyResource, top: string, node: unknown, key: string): void {
  if ((owner.propertyDependencies[top] ?? []).length === 0) requireKnown(node, key);
}

/**
 * Inputs of a linked service that name no destination: free text, the factory's own objects, identities, settings.
 * Every other string under `properties` (its `typeProperties`, a parameter's `defaultValue` included) is read for hosts.
 */
const NOT_DESTINATIONS = new Set([
  "description",
  "annotations",
  "type",
  "referenceName",
  "connectVia",
  "credential",
  "userName",
  "username",
  "tenant",
  "servicePrincipalId",
  "azureCloudType",
  "encryptedCredential",
  "authenticationType",
  "version",
]);

/** Where an expression (`@{linkedService().server}`) or a Key Vault secret hides the host from the pack. */
const hidesHost = (key: string, value: unknown): boolean =>
  LINKED_SERVICE_HOST_KEYS.includes(key) &&
  ((typeof value === "string" && value.trim().startsWith("@")) ||
    sameText(valueAt(value, "type"), "AzureKeyVaultSecret") ||
    sameText(valueAt(value, "type"), "Expression"));

/**
 * The hosts in a string: its URLs and host names (`hostsIn`), and a storage connection string's account as Azure
 * resolves it (`AccountName=` on `EndpointSuffix`, `core.windows.net` by default), the suffix itself being no host.
 */
export function connectionHosts(text: string): string[] {
  const account = /(?:^|;)\s*AccountName\s*=\s*([^;]+)/i.exec(text)?.[1]?.trim().toLowerCase();
  const suffix = /(?:^|;)\s*EndpointSuffix\s*=\s*([^;]+)/i.exec(text)?.[1]?.trim().toLowerCase() ?? "core.windows.net";
  const rest = text.replace(/(?:^|;)\s*EndpointSuffix\s*=\s*[^;]*/gi, ";");
  return [...new Set([...(account ? [`${account}.blob.${suffix}`] : []), ...hostsIn(rest)])];
}

function linkedServiceHosts(ls: PolicyResource, out: Named[], hidden: { owner: PolicyResource; path: string }[]): void {
  if (presence(ls.props, "properties") === "unknown") return unknownOk(ls, "properties", ls.props, "properties");
  const walk = (node: unknown, key: string, path: string): void => {
    if (hidesHost(key, node)) {
      hidden.push({ owner: ls, path });
      return;
    }
    // A SecureString ({ type, value }) carries its text in `value`, under its own key.
    const text =
      typeof node === "string"
        ? node
        : sameText(valueAt(node, "type"), "SecureString")
          ? valueAt(node, "value")
          : undefined;
    if (typeof text === "string") {
      for (const host of connectionHosts(text)) out.push({ owner: ls, path, value: host });
      return;
    }
    if (node === null || typeof node !== "object") return;
    // By key or index: reading the elements themselves would trip the engine's unknown-checking proxy.
    const keys = Array.isArray(node) ? node.map((_, i) => String(i)) : Object.keys(node);
    for (const k of keys) {
      if (!Array.isArray(node) && NOT_DESTINATIONS.has(k)) continue;
      const at = Array.isArray(node) ? `${path}[${k}]` : `${path}.${k}`;
      if (presence(node, k) === "unknown") unknownOk(ls, "properties", node, k);
      else walk(valueAt(node, k), Array.isArray(node) ? key : k, at);
    }
  };
  walk(valueAt(ls.props, "properties"), "properties", "properties");
}

function datasourceNames(job: PolicyResource, datasource: unknown, top: string, shown: string, out: Named[]): void {
  const type = valueAt(datasource, "type");
  if (typeof type !== "string") return;
  const t = type.toLowerCase();
  const path = ASA_NAME_PATHS[t];
  const owners = ASA_OWNERS[t];
  if (!path || !owners) {
    // A destination outside Azure's data services (Power BI, a Kusto or Fabric cluster): named by type.
    out.push({ owner: job, path: shown === "" ? "type" : `${shown}.type`, value: type, owners: [] });
    return;
  }
  const walk = (node: unknown, rest: readonly string[], at: string) => {
    if (rest.length === 0) {
      if (typeof node === "string" && node !== "")
        out.push({ owner: job, path: at, value: node.toLowerCase(), owners });
      return;
    }
    const [head, ...tail] = rest;
    const keys = head === "*" ? (Array.isArray(node) ? node.map((_, i) => String(i)) : []) : [head];
    for (const k of keys) {
      const next = head === "*" ? `${at}[${k}]` : `${at}.${k}`;
      if (presence(node, k) === "unknown") unknownOk(job, top, node, k);
      else walk(valueAt(node, k), tail, next);
    }
  };
  walk(datasource, path, shown === "" ? "datasource" : `${shown}.datasource`);
}

/** The hosts of a Stream Analytics function's binding endpoint (an Azure ML web service or online endpoint). */
function bindingHosts(owner: PolicyResource, fn: unknown, top: string, shown: string, out: Named[]): void {
  const path = ["properties", "binding", "endpoint"];
  if (presence(fn, ...path) === "unknown")
    return unknownOk(owner, top, valueAt(fn, "properties", "binding"), "endpoint");
  const endpoint = valueAt(fn, ...path);
  if (typeof endpoint !== "string") return;
  const at = shown === "" ? path.join(".") : `${shown}.${path.join(".")}`;
  for (const host of hostsIn(endpoint)) out.push({ owner, path: at, value: host });
}

function streamingNames(resources: readonly PolicyResource[], out: Named[]): void {
  for (const job of ofType(resources, "azure-native:streamanalytics:StreamingJob")) {
    const outputs = valueAt(job.props, "outputs");
    const count = Array.isArray(outputs) ? outputs.length : 0;
    for (let i = 0; i < count; i++) {
      if (presence(outputs, String(i), "datasource") === "unknown")
        unknownOk(job, "outputs", valueAt(outputs, String(i)), "datasource");
      else datasourceNames(job, valueAt(outputs, String(i), "datasource"), "outputs", `outputs[${i}]`, out);
    }
    // An Azure ML function sends each event's columns to its scoring endpoint.
    const functions = valueAt(job.props, "functions");
    for (let i = 0; i < (Array.isArray(functions) ? functions.length : 0); i++)
      bindingHosts(job, valueAt(functions, String(i)), "functions", `functions[${i}]`, out);
    if (presence(job.props, "jobStorageAccount", "accountName") === "unknown")
      unknownOk(job, "jobStorageAccount", valueAt(job.props, "jobStorageAccount"), "accountName");
    const account = valueAt(job.props, "jobStorageAccount", "accountName");
    if (typeof account === "string" && account !== "")
      out.push({
        owner: job,
        path: "jobStorageAccount.accountName",
        value: account.toLowerCase(),
        owners: [["azure-native:storage:StorageAccount", "accountName"]],
      });
  }
  for (const fn of ofType(resources, "azure-native:streamanalytics:Function"))
    bindingHosts(fn, fn.props, "properties", "", out);
  for (const output of ofType(resources, "azure-native:streamanalytics:Output")) {
    if (presence(output.props, "datasource") === "unknown") unknownOk(output, "datasource", output.props, "datasource");
    else datasourceNames(output, valueAt(output.props, "datasource"), "datasource", "", out);
  }
}

/**
 * Whether `value` is the name of one of the stack's resources of `owners`: true, false, or the first of them whose
 * name is not known yet (a first preview), which may be the one named.
 */
function ownedBy(
  resources: readonly PolicyResource[],
  owners: readonly (readonly [string, string])[],
  value: string,
): boolean | { pending: PolicyResource; key: string } {
  let pending: { pending: PolicyResource; key: string } | undefined;
  for (const [type, key] of owners) {
    for (const r of ofType(resources, type)) {
      const { name, unknownKey } = azureName(r, key);
      if (unknownKey !== undefined) pending ??= { pending: r, key: unknownKey };
      else if (name === value) return true;
    }
  }
  return pending ?? false;
}

/** The owners of a host's suffix and the name it carries (its first label; a Synapse serverless `-ondemand` is its workspace's). */
function hostOwners(host: string): { owners: readonly (readonly [string, string])[]; name: string } | undefined {
  for (const { suffixes, owners } of HOST_OWNERS) {
    const suffix = suffixes.find((s) => host.endsWith(s));
    if (suffix === undefined) continue;
    let name = host.slice(0, -suffix.length);
    // A private link zone's name (`x.privatelink.database.windows.net`) is the same server's.
    name = name.replace(/\.privatelink$/, "");
    // A failover group's read-only listener (`<group>.secondary.database.windows.net`) and a geo-redundant account's
    // secondary endpoint (`<account>-secondary.blob.core.windows.net`) are the same resource's.
    name = name.replace(/\.secondary$/, "");
    if (suffix.endsWith(".core.windows.net")) name = name.replace(/-secondary$/, "");
    if (suffix === ".inference.ml.azure.com") name = name.split(".")[0];
    if (name.includes(".")) return { owners, name: "" };
    if (suffix.includes("azuresynapse")) name = name.replace(/-ondemand$/, "");
    return { owners, name };
  }
  return undefined;
}

export const foreignDataHosts = stackPolicy(
  {
    name: "azure-native-general-stack-disallow-foreign-data-hosts",
    description:
      "The hosts and names data is written to without an ARM id (a Data Factory linked service's server, URL, account endpoint or connection string; a Stream Analytics job's outputs and job storage) are the stack's own services (SQL servers and failover group listeners, Synapse workspaces, storage accounts, Cosmos DB accounts, Event Hubs namespaces, Key Vaults, web apps), or hosts listed with a reason: a linked service pointed at another tenant's server copies payment data there on every run.",
    severity: "high",
    pci: ["1.3.2", "1.4.4"],
    gdpr: ["32(1)(b)", "44"],
    soc2: ["CC6.7"],
    service: "general",
    remediationSteps:
      "Point the linked service or the job's output at the stack's own service (its name or endpoint output); a host outside the stack that must receive the data (a partner's SFTP, the group's central lake) goes in `allowedHosts` (host pattern and the reason) in policies/config/<stack>.json, in a reviewed change.",
    url: "https://learn.microsoft.com/azure/data-factory/data-movement-security-considerations",
    config: {
      allowedHosts: {
        ...exemptionSchema,
        description:
          "Hosts outside the stack a linked service or job output may name (`*` wildcard, case-insensitive; a Stream Analytics output type such as `PowerBI` too), each with a reason (none by default).",
      },
    },
  },
  (args, report) => {
    const { allowedHosts = [] } = args.getConfig<{ allowedHosts?: Exemption[] }>();
    const named: Named[] = [];
    const hidden: { owner: PolicyResource; path: string }[] = [];
    for (const ls of ofType(args.resources, "azure-native:datafactory:LinkedService"))
      linkedServiceHosts(ls, named, hidden);
    for (const h of hidden)
      report(
        `${who(h.owner)} names its host through an expression or a Key Vault secret (${h.path}): the pack cannot check that it is one of the stack's services; write the host, or exempt the linked service (exemptions) with the reason.`,
        h.owner.urn,
      );
    streamingNames(args.resources, named);
    if (
      named.length === 0 &&
      ofType(
        args.resources,
        "azure-native:datafactory:LinkedService",
        "azure-native:streamanalytics:StreamingJob",
        "azure-native:streamanalytics:Output",
        "azure-native:streamanalytics:Function",
      ).length === 0
    )
      args.notApplicable("the stack has no Data Factory linked service or Stream Analytics job");
    const listed = (value: string) => listedName(allowedHosts, value) !== undefined;
    for (const n of named) {
      if (listed(n.value)) continue;
      let owned: ReturnType<typeof ownedBy>;
      let what: string;
      if (n.owners !== undefined) {
        owned = n.owners.length > 0 ? ownedBy(args.resources, n.owners, n.value) : false;
        what =
          n.owners.length > 0
            ? `'${n.value}', which is not one of the stack's ${n.owners.map(([t]) => t.split(":").pop()).join(" or ")} names`
            : `a ${n.value} output, outside the stack's services`;
      } else {
        const host = hostOwners(n.value);
        owned = host && host.name !== "" ? ownedBy(args.resources, host.owners, host.name) : false;
        what = `the host ${n.value}, which is not one of the stack's services`;
      }
      if (owned === true) continue;
      // A resource of the stack whose name is not known yet (a first preview) may be the one named: undecided.
      if (owned !== false) requireKnown(owned.pending.props, owned.key);
      report(
        `${who(n.owner)} ${n.owner.type.includes(":datafactory:") ? "connects to" : "writes to"} ${what} (${n.path}): point it at the stack's own, or list the host in allowedHosts with the reason.`,
        n.owner.urn,
      );
    }
  },
);

export const destinationHostPolicies: Policies = [foreignDataHosts];
