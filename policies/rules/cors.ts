/**
 * Cross-origin calls to the data services' own endpoints: a Cosmos DB account's and a storage account's services'
 * CORS rules name exact HTTPS origins, never a wildcard or a plain-HTTP origin (the web apps' rule is in ingress.ts).
 * A wildcard lets any web page a signed-in operator opens call the data plane with the browser's token (the private
 * endpoints and Entra-only auth narrow that to the network's browsers, not to the platform's pages). PCI DSS 6.2.4
 * (attacks on the software's interfaces), GDPR Art. 32(1)(b).
 */
import type * as cosmosdb from "@pulumi/azure-native/cosmosdb";
import type * as storage from "@pulumi/azure-native/storage";
import type { Policies } from "@pulumi/policy";
import { resourcePolicy } from "../lib/policy";
import { requireKnownElements, stringsAt, valueAt, who } from "../lib/values";

/** What is wrong with one allowed origin, or undefined: a wildcard, `null`, or plain HTTP. */
export function originProblem(origin: string): string | undefined {
  const o = origin.trim();
  if (o.includes("*")) return `allows any origin ('${o}')`;
  // Sent by sandboxed iframes and `file:` pages: any such page is let in.
  if (o.toLowerCase() === "null") return "allows the origin 'null' (any sandboxed or local page)";
  if (/^http:\/\//i.test(o)) return `allows the plain-HTTP origin '${o}'`;
  return undefined;
}

export const cosmosCors = resourcePolicy<cosmosdb.DatabaseAccountArgs>(
  {
    name: "azure-native-cosmosdb-databaseaccount-disallow-wildcard-cors",
    description:
      "Cosmos DB accounts allow cross-origin calls only from listed HTTPS origins: no wildcard origin, no plain-HTTP origin.",
    severity: "medium",
    pci: ["6.2.4"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.6"],
    service: "cosmosdb",
    remediationSteps:
      "List exact `https://` origins, comma-separated, in each `cors[].allowedOrigins` (or leave `cors` unset: no cross-origin calls).",
    url: "https://learn.microsoft.com/azure/cosmos-db/how-to-configure-cross-origin-resource-sharing",
  },
  "azure-native:cosmosdb:DatabaseAccount",
  (props, args, report) => {
    requireKnownElements(props, "cors");
    // cors absent or empty = no cross-origin call allowed (a pass, as for the web apps).
    const rules = valueAt(props, "cors");
    for (let i = 0; i < (Array.isArray(rules) ? rules.length : 0); i++) {
      const origins = valueAt(rules, String(i), "allowedOrigins");
      for (const origin of typeof origins === "string" ? origins.split(",") : []) {
        const problem = originProblem(origin);
        if (problem) report(`${who(args)} cors[${i}] ${problem}: list exact https:// origins in allowedOrigins.`);
      }
    }
  },
);

const STORAGE_SERVICES = [
  "azure-native:storage:BlobServiceProperties",
  "azure-native:storage:FileServiceProperties",
  "azure-native:storage:QueueServiceProperties",
  "azure-native:storage:TableServiceProperties",
];

export const storageCors = resourcePolicy<storage.BlobServicePropertiesArgs>(
  {
    name: "azure-native-storage-serviceproperties-disallow-wildcard-cors",
    description:
      "A storage account's blob, file, queue and table services allow cross-origin calls only from listed HTTPS origins: no wildcard origin, no plain-HTTP origin.",
    severity: "medium",
    pci: ["6.2.4"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.6"],
    service: "storage",
    remediationSteps:
      "List exact `https://` origins in each `cors.corsRules[].allowedOrigins` (or leave `cors` unset: no cross-origin calls).",
    url: "https://learn.microsoft.com/rest/api/storageservices/cross-origin-resource-sharing--cors--support-for-the-azure-storage-services",
  },
  STORAGE_SERVICES,
  (props, args, report) => {
    requireKnownElements(props, "cors", "corsRules");
    // No CORS rule = no cross-origin call allowed (a pass, as for the web apps).
    const rules = valueAt(props, "cors", "corsRules");
    for (let i = 0; i < (Array.isArray(rules) ? rules.length : 0); i++) {
      requireKnownElements(rules, String(i), "allowedOrigins");
      for (const origin of stringsAt(rules, String(i), "allowedOrigins")) {
        const problem = originProblem(origin);
        if (problem)
          report(`${who(args)} cors.corsRules[${i}] ${problem}: list exact https:// origins in allowedOrigins.`);
      }
    }
  },
);

export const corsPolicies: Policies = [cosmosCors, storageCors];
