/**
 * Stream Analytics jobs (typed, or declared as a generic resource) with a managed identity and a job storage account, their inputs and outputs authenticating with it instead of keys.
 */
import type * as streamanalytics from "@pulumi/azure-native/streamanalytics";
import { resourcePolicy, type Props } from "../../lib/policy";
import { isSet, oneOf, safeGet, sameText, who } from "../../lib/values";
import { ASA_JOB, ASA_INPUT, ASA_OUTPUT } from "./shared";

// ---------------------------------------------------------------------------------------------------------------
// Stream Analytics
// ---------------------------------------------------------------------------------------------------------------

export const asaIdentity = resourcePolicy<streamanalytics.StreamingJobArgs>(
  {
    name: "azure-native-streamanalytics-streamingjob-require-managed-identity",
    description:
      "Stream Analytics jobs have a managed identity, so they authenticate to Event Hubs, storage and SQL without stored keys.",
    severity: "medium",
    pci: ["8.2.2", "8.6.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "streamanalytics",
    remediationSteps:
      'Set `identity: { type: "SystemAssigned" }` and grant it data-plane roles on its inputs and outputs.',
    url: "https://learn.microsoft.com/azure/stream-analytics/stream-analytics-managed-identities-overview",
  },
  ASA_JOB,
  (props, args, report) => {
    // identity absent = no managed identity. The 2020-03-01 API's identity has only `type` (a string).
    const type = props.identity?.type;
    if (typeof type !== "string" || type === "" || sameText(type, "None")) {
      report(`${who(args)} has no managed identity: set identity.type to "SystemAssigned".`);
    }
  },
);

export const asaJobStorage = resourcePolicy<streamanalytics.StreamingJobArgs>(
  {
    name: "azure-native-streamanalytics-streamingjob-configure-job-storage-account",
    description:
      "Stream Analytics jobs keep their query, checkpoints and reference data in the platform's own storage account (encrypted with its CMK, behind its network rules), reached with the job's managed identity.",
    severity: "medium",
    pci: ["3.5.1", "8.6.2"],
    gdpr: ["28", "32(1)(a)"],
    soc2: ["CC6.1"],
    service: "streamanalytics",
    remediationSteps:
      'Set `contentStoragePolicy: "JobStorageAccount"` and `jobStorageAccount: { accountName, authenticationMode: "Msi" }` without `accountKey` (config `requireJobStorageAccount` makes the first part optional).',
    url: "https://learn.microsoft.com/azure/stream-analytics/data-protection",
    config: {
      requireJobStorageAccount: {
        type: "boolean",
        default: true,
        description: "Require contentStoragePolicy JobStorageAccount (job content in our storage, not Microsoft's).",
      },
    },
  },
  ASA_JOB,
  (props, args, report) => {
    const { requireJobStorageAccount } = args.getConfig<{ requireJobStorageAccount: boolean }>();
    // contentStoragePolicy absent = SystemAccount (Microsoft-managed storage).
    const own = sameText(props.contentStoragePolicy, "JobStorageAccount");
    if (requireJobStorageAccount && !own) {
      report(
        `${who(args)} stores job content in a system account: set contentStoragePolicy to "JobStorageAccount" with jobStorageAccount.`,
      );
    }
    const storageAccount = props.jobStorageAccount;
    if (own && storageAccount === undefined) {
      report(`${who(args)} uses JobStorageAccount without jobStorageAccount: set jobStorageAccount.accountName.`);
    }
    if (storageAccount !== undefined) {
      // authenticationMode absent = ConnectionString (account key).
      if (!sameText(storageAccount.authenticationMode, "Msi") || isSet(storageAccount, "accountKey")) {
        report(
          `${who(args)} reaches its job storage with a key: set jobStorageAccount.authenticationMode to "Msi" and remove jobStorageAccount.accountKey.`,
        );
      }
    }
  },
);

/** Data source `type`s whose `authenticationMode` defaults to ConnectionString and accepts Msi (API 2020-03-01). */
const MSI_DATASOURCE_TYPES = [
  "Microsoft.Storage/Blob",
  "Microsoft.ServiceBus/EventHub",
  "Microsoft.EventHub/EventHub",
  "Microsoft.ServiceBus/Queue",
  "Microsoft.ServiceBus/Topic",
  "Microsoft.DataLake/Accounts",
  "PowerBI",
];
/** Fields that carry a shared key or password in a data source. */
const SECRET_FIELDS = ["sharedAccessPolicyKey", "accountKey", "password", "apiKey"];

/** The violation for one data source, or undefined when it uses the managed identity and no stored secret. */
function datasourceProblem(ds: Record<string, unknown> | undefined): string | undefined {
  if (!ds) return undefined;
  const type = String(ds["type"]);
  const secrets = SECRET_FIELDS.filter((f) => isSet(ds, f));
  const accounts = (ds["storageAccounts"] as Record<string, unknown>[] | undefined) ?? [];
  if (accounts.some((a) => isSet(a, "accountKey"))) secrets.push("storageAccounts[].accountKey");
  if (secrets.length > 0)
    return `'${type}' data source stores ${secrets.join(", ")}: remove it and set authenticationMode to "Msi"`;
  const mode = ds["authenticationMode"];
  if (mode !== undefined ? !sameText(mode, "Msi") : oneOf(type, MSI_DATASOURCE_TYPES)) {
    return `'${type}' data source authenticates with '${mode ?? "ConnectionString (default)"}': set authenticationMode to "Msi"`;
  }
  return undefined;
}

export const asaDatasourceAuth = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-streamanalytics-inputoutput-require-managed-identity-auth",
    description:
      "Stream Analytics inputs and outputs (standalone or inline in the job) authenticate with the job's managed identity and store no keys or passwords.",
    severity: "high",
    pci: ["8.3.1", "8.6.2", "8.6.3"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "streamanalytics",
    remediationSteps:
      'On every data source set `authenticationMode: "Msi"` and remove `sharedAccessPolicyKey`/`accountKey`/`password`/`apiKey`; a sink type that only takes a password (the 2020-03-01 Synapse output) needs an exemption with a reason, or the SQL output type with Msi.',
    url: "https://learn.microsoft.com/azure/stream-analytics/stream-analytics-managed-identities-overview",
  },
  [ASA_JOB, ASA_INPUT, ASA_OUTPUT],
  (props, args, report) => {
    const found: { where: string; ds: Record<string, unknown> | undefined }[] = [];
    if (args.type === ASA_INPUT) {
      found.push({ where: "properties.datasource", ds: objectAt(props["properties"], "datasource") });
    } else if (args.type === ASA_OUTPUT) {
      found.push({ where: "datasource", ds: props["datasource"] as Record<string, unknown> | undefined });
    } else {
      const job = props as unknown as Props<streamanalytics.StreamingJobArgs>;
      (job.inputs ?? []).forEach((i, n) =>
        found.push({ where: `inputs[${i.name ?? n}].properties.datasource`, ds: objectAt(i.properties, "datasource") }),
      );
      (job.outputs ?? []).forEach((o, n) =>
        found.push({
          where: `outputs[${o.name ?? n}].datasource`,
          ds: o.datasource as Record<string, unknown> | undefined,
        }),
      );
      if (found.length === 0) args.notApplicable("the job declares no inline inputs or outputs");
    }
    for (const { where, ds } of found) {
      const problem = datasourceProblem(ds);
      if (problem) report(`${who(args)} ${where}: ${problem}.`);
    }
  },
);

/** `obj[key]` when it is an object (reads through the unknown-checking proxy: an unknown value throws). */
function objectAt(obj: unknown, key: string): Record<string, unknown> | undefined {
  const v = obj === null || typeof obj !== "object" ? undefined : (obj as Record<string, unknown>)[key];
  return v !== null && typeof v === "object" ? (v as Record<string, unknown>) : undefined;
}

const GENERIC = "azure-native:resources:Resource";

export const asaGenericJob = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-resources-resource-streamanalytics-require-managed-identity",
    description:
      "Stream Analytics jobs declared as generic resources (a newer API version than the typed class, e.g. for a managed-identity Synapse output) have a managed identity, keep their content in their own job storage reached with it, and authenticate every input and output with it.",
    severity: "high",
    pci: ["8.2.2", "8.3.1", "8.6.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "streamanalytics",
    remediationSteps:
      'On the `resources.Resource` (resourceType "streamingjobs"): set `identity: { type: "SystemAssigned" }`, `properties.contentStoragePolicy: "JobStorageAccount"` with `properties.jobStorageAccount.authenticationMode: "Msi"`, and `authenticationMode: "Msi"` on every `properties.inputs[].properties.datasource.properties` and `properties.outputs[].properties.datasource.properties`, with no keys or passwords.',
    url: "https://learn.microsoft.com/azure/stream-analytics/stream-analytics-managed-identities-overview",
  },
  GENERIC,
  (props, args, report) => {
    const ns = String(props["resourceProviderNamespace"] ?? "");
    const type = String(props["resourceType"] ?? "");
    if (!sameText(ns, "Microsoft.StreamAnalytics") || !sameText(type, "streamingjobs")) {
      args.notApplicable("not a Stream Analytics job");
    }
    const identity = objectAt(props, "identity");
    const idType = identity?.["type"];
    if (typeof idType !== "string" || !/SystemAssigned|UserAssigned/i.test(idType)) {
      report(`${who(args)} has no managed identity: set identity.type to "SystemAssigned".`);
    }
    const body = objectAt(props, "properties") ?? {};
    const storage = objectAt(body, "jobStorageAccount");
    if (!sameText(body["contentStoragePolicy"], "JobStorageAccount") || !storage) {
      report(
        `${who(args)} keeps job content in a system account: set properties.contentStoragePolicy to "JobStorageAccount" with properties.jobStorageAccount.`,
      );
    } else if (!sameText(storage["authenticationMode"], "Msi") || isSet(storage, "accountKey")) {
      report(
        `${who(args)} reaches its job storage with a key: set properties.jobStorageAccount.authenticationMode to "Msi".`,
      );
    }
    for (const side of ["inputs", "outputs"] as const) {
      const list = (body[side] as Record<string, unknown>[] | undefined) ?? [];
      list.forEach((item, n) => {
        const ds = objectAt(objectAt(item, "properties"), "datasource");
        // Generic bodies are the REST shape: the data source's settings are under `properties`. Only what the check
        // reads is taken (names and ids there are often unknown during preview; a secret field counts when set).
        const inner = objectAt(ds, "properties");
        const flat: Record<string, unknown> | undefined = ds
          ? { type: safeGet(ds, "type"), authenticationMode: safeGet(inner, "authenticationMode") }
          : undefined;
        for (const f of SECRET_FIELDS) if (flat && inner && isSet(inner, f)) flat[f] = "(set)";
        const problem = datasourceProblem(flat);
        if (problem) report(`${who(args)} properties.${side}[${String(item["name"] ?? n)}]: ${problem}.`);
      });
    }
  },
);
