/**
 * Pipelines and the factory's run time: no inline secrets in activities, every linked service on a runtime the factory declares, the outbound allow-list, no secret global parameters.
 */
import type * as datafactory from "@pulumi/azure-native/datafactory";
import type { PolicyResource } from "@pulumi/policy";
import {
  enforcedAssignments,
  ofType,
  recordedDependency,
  resourcePolicy,
  sameValue,
  stackPolicy,
} from "../../lib/policy";
import { presence, requireKnown, safeGet, valueAt, who } from "../../lib/values";
import { secretName } from "../../lib/secrets";
import { FACTORY, LINKED_SERVICE, DOCS, EMBEDDED_SECRET, inlineSecrets, DEFAULT_RUNTIME, RUNTIME_RULE } from "./shared";

// ---------------------------------------------------------------------------------------------------------------
// Pipelines, runtimes and the factory's outbound traffic
// ---------------------------------------------------------------------------------------------------------------

export const pipelineInlineSecrets = resourcePolicy<datafactory.PipelineArgs>(
  {
    name: "azure-native-datafactory-pipeline-disallow-inline-secrets",
    description:
      "No Data Factory pipeline carries a secret inline: no SecureString value or default in its parameters, variables or activities, and no password, certificate or key in an activity's authentication (Web, WebHook, Azure Function); activities authenticate with a managed identity credential or a Key Vault reference.",
    severity: "critical",
    pci: ["8.6.2", "3.6.1"],
    gdpr: ["32"],
    soc2: ["CC6.1"],
    service: "datafactory",
    remediationSteps:
      'Use `authentication: { type: "UserAssignedManagedIdentity", credential: { referenceName, type: "CredentialReference" }, resource }` (or "MSI"), or an AzureKeyVaultSecret reference; declare secret parameters without a default and pass them at run time.',
    url: `${DOCS}/control-flow-web-activity`,
  },
  "azure-native:datafactory:Pipeline",
  (props, args, report) => {
    const found: string[] = [];
    for (const key of ["parameters", "variables", "activities"]) {
      // Unknown during preview: undecided, never passed on what it could not see.
      if (presence(props, key) === "unknown") requireKnown(props, key);
      inlineSecrets(safeGet(props, key), key, found, { authentication: true });
    }
    if (found.length > 0) {
      report(
        `${who(args)} has inline secrets at ${[...new Set(found)].join(", ")}: authenticate activities with a managed identity credential (or an AzureKeyVaultSecret reference) and pass secret parameters at run time.`,
      );
    }
  },
);

const INTEGRATION_RUNTIME = "azure-native:datafactory:IntegrationRuntime";

const text = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : undefined);

/** The factory part of a Data Factory child's id (`…/factories/<name>`), lower-cased, when the id is known. */
function factoryIdOf(r: PolicyResource): string | undefined {
  const id = text(safeGet(r.props, "id"));
  return id === undefined ? undefined : /^(.*\/factories\/[^/]+)\//.exec(id)?.[1];
}

/**
 * Whether two Data Factory children are in the same factory: by their ids once deployed (`factoryName` is part of
 * their path, not an output), else their `factoryName` where visible, else the factories their `factoryName` was
 * taken from. Nothing to tell them apart counts as the same factory.
 */
function sameFactory(a: PolicyResource, b: PolicyResource): boolean {
  const [ia, ib] = [factoryIdOf(a), factoryIdOf(b)];
  if (ia !== undefined && ib !== undefined) return ia === ib;
  return sameValue(a, b, "factoryName");
}

export const linkedServiceDeclaredRuntime = stackPolicy(
  {
    name: "azure-native-datafactory-linkedservice-require-declared-integration-runtime",
    description:
      "Every Data Factory linked service runs on an integration runtime the stack declares in the same factory (which the runtime rule keeps in the managed virtual network): naming the factory's built-in AutoResolveIntegrationRuntime without redeclaring it in the managed VNet is the default public runtime.",
    ...RUNTIME_RULE,
    remediationSteps:
      "Declare the runtime (`datafactory.IntegrationRuntime` with `properties.managedVirtualNetwork` set) in the same factory, and set each linked service's `properties.connectVia.referenceName` to its name.",
  },
  (args, report) => {
    const runtimes = ofType(args.resources, INTEGRATION_RUNTIME);
    // A linked service whose properties take a declared runtime's name output (`referenceName: runtime.name`) runs on
    // that runtime, known or not during preview.
    const wiredTo = (l: PolicyResource) =>
      runtimes.filter((r) => (l.propertyDependencies["properties"] ?? []).some((d) => d.urn === r.urn));
    const referenceState = (l: PolicyResource) => presence(l.props, "properties", "connectVia", "referenceName");
    const linked = ofType(args.resources, LINKED_SERVICE).filter(
      (l) =>
        typeof valueAt(l.props, "properties", "connectVia", "referenceName") === "string" ||
        (referenceState(l) === "unknown" && wiredTo(l).length > 0),
    );
    if (linked.length === 0) args.notApplicable("no linked service names a runtime (known during preview)");
    for (const l of linked) {
      if (referenceState(l) === "unknown") {
        // Wired to a runtime of the stack: it names that one, so it must be in the same factory.
        if (wiredTo(l).some((r) => sameFactory(l, r))) continue;
        report(
          `${who(l)} runs on a runtime of another factory: name a runtime the stack declares in its own factory.`,
          l.urn,
        );
        continue;
      }
      const name = text(valueAt(l.props, "properties", "connectVia", "referenceName"));
      let undecided: PolicyResource | undefined;
      const declared = runtimes.some((r) => {
        if (!sameFactory(l, r)) return false;
        // The runtime's name: its `name` output (`integrationRuntimeName` is part of its path, not an output), else
        // its input where visible. Unknown during a first preview: only a linked service whose `properties` take
        // the runtime's name (a property dependency) is known to name it; otherwise the rule cannot decide yet.
        const rName = text(safeGet(r.props, "name")) ?? text(safeGet(r.props, "integrationRuntimeName"));
        if (rName !== undefined) return rName === name;
        if ((l.propertyDependencies["properties"] ?? []).some((d) => d.urn === r.urn)) return true;
        if (presence(r.props, "name") === "unknown") undecided = r;
        return false;
      });
      // "Can't run during preview" (the engine's unknown-value error), never a pass on a runtime it cannot name.
      if (!declared && undecided) void (undecided.props as Record<string, unknown>).name;
      if (!declared) {
        report(
          `${who(l)} runs on '${String(valueAt(l.props, "properties", "connectVia", "referenceName"))}', which the stack does not declare in its factory${
            name === DEFAULT_RUNTIME.toLowerCase() ? " (the factory's built-in public Azure integration runtime)" : ""
          }: declare that runtime in the managed virtual network, or name the one the stack declares.`,
          l.urn,
        );
      }
    }
  },
);

/** Data Factory's outbound allow-list: "[Preview]: Azure Data Factory pipelines should only communicate with allowed domains". */
const OUTBOUND_ALLOW_LIST_DEFINITION = "3d02a511-74e5-4dab-a5fd-878704d4a61a";

/** Whether assignment `a`'s scope holds `factory`: the factory, its resource group or subscription (ids or, unknown, the recorded dependency). */
function scopeHolds(a: PolicyResource, factory: PolicyResource): boolean {
  const scope = valueAt(a.props, "scope");
  const id = safeGet(factory.props, "id");
  if (typeof scope === "string" && typeof id === "string") {
    const s = scope.toLowerCase().replace(/\/+$/, "");
    return id.toLowerCase() === s || id.toLowerCase().startsWith(`${s}/`);
  }
  return recordedDependency(a, factory, "scope");
}

export const factoryOutboundAllowList = stackPolicy(
  {
    name: "azure-native-datafactory-factory-require-outbound-allow-list",
    description:
      "Every Data Factory is under an enforced assignment of Data Factory's outbound allow-list (the built-in '[Preview]: Azure Data Factory pipelines should only communicate with allowed domains'): its managed virtual network opens every port outbound, so without it a pipeline can send data to any address.",
    severity: "high",
    pci: ["1.3.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.6"],
    service: "datafactory",
    remediationSteps:
      "Set `etl.outboundAllowList: true` (components/etl: assigns the built-in definition 3d02a511-74e5-4dab-a5fd-878704d4a61a, effect Deny, on the factory's resource group with the stores' host names), then switch on Outbound rules in ADF Studio (docs/etl.md, Outbound traffic).",
    url: `${DOCS}/configure-outbound-allow-list-azure-policy`,
    // A preview Microsoft enforces only once switched on in ADF Studio: advisory until a stack has tried it.
    enforcementLevel: "advisory",
  },
  (args, report) => {
    const factories = ofType(args.resources, FACTORY);
    if (factories.length === 0) args.notApplicable("no Data Factory in the stack");
    const guards = enforcedAssignments(args.resources).filter((a) =>
      String(safeGet(a.props, "policyDefinitionId") ?? "")
        .toLowerCase()
        .endsWith(`/${OUTBOUND_ALLOW_LIST_DEFINITION}`),
    );
    for (const f of factories)
      if (!guards.some((a) => scopeHolds(a, f)))
        report(
          `${who(f)} has no enforced outbound allow-list: its managed virtual network opens every port outbound, so a pipeline can copy data to any address; set etl.outboundAllowList (docs/etl.md, Outbound traffic).`,
          f.urn,
        );
  },
);

export const factoryGlobalParameterSecrets = resourcePolicy<datafactory.FactoryArgs>(
  {
    name: "azure-native-datafactory-factory-disallow-secret-global-parameters",
    description:
      "No Data Factory global parameter carries a password, key, token or credential-bearing connection string: global parameters are stored and shown in clear text (in the factory's JSON, the portal, and its Git repository when one is configured) and cannot be SecureString.",
    severity: "critical",
    pci: ["8.3.2", "8.6.2", "3.6.1"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "datafactory",
    remediationSteps:
      "Keep secrets out of `globalParameters`: put them in Key Vault and reference them from the linked service (`AzureKeyVaultSecret`), or use the factory's managed identity; a global parameter holds names and switches only.",
    url: `${DOCS}/author-global-parameters`,
  },
  FACTORY,
  (props, args, report) => {
    if (presence(props, "globalParameters") === "unknown") requireKnown(props, "globalParameters");
    const params = safeGet(props, "globalParameters");
    if (params === null || typeof params !== "object") args.notApplicable("the factory has no global parameters");
    const found: string[] = [];
    for (const name of Object.keys(params as object)) {
      if (presence(params, name, "value") === "unknown") requireKnown(params, name, "value");
      const value = valueAt(params, name, "value");
      const text = typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value);
      if (EMBEDDED_SECRET.test(text) || (secretName(name) && text !== "")) found.push(name);
    }
    if (found.length > 0) {
      report(
        `${who(args)} keeps a secret in global parameter(s) ${found.join(", ")}, stored in clear text: move it to Key Vault and reference it from the linked service, or use the factory's managed identity.`,
      );
    }
  },
);
