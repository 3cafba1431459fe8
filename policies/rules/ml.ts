/**
 * Azure Machine Learning (the fraud model): private workspace, managed network that only allows approved outbound
 * traffic, customer-managed key and high-business-impact mode, and compute without local auth, public IPs or
 * public SSH (catalogue rows 41–45).
 */
import type * as ml from "@pulumi/azure-native/machinelearningservices";
import type { Policies } from "@pulumi/policy";
import { insidePrivateRanges, ipv4Range } from "../lib/network";
import { resourcePolicy } from "../lib/policy";
import { inScopeKnob, skipOutOfScope } from "../lib/scope";
import { globMatch, oneOf, presence, requireKnown, sameText, show, stringsAt, valueAt, who } from "../lib/values";

const WORKSPACE = "azure-native:machinelearningservices:Workspace";
const COMPUTE = "azure-native:machinelearningservices:Compute";
const ONLINE_ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint";
/** Outbound rules declared as their own resources (two classes for the same ARM child). */
const OUTBOUND_RULE_TYPES = [
  "azure-native:machinelearningservices:OutboundRule",
  "azure-native:machinelearningservices:ManagedNetworkSettingsRule",
];
/** Service tags and prefixes that mean "anywhere". */
/** Destinations as open as the internet: `AzureCloud` (and its regional tags) is every Azure tenant's address space. */
const OPEN_DESTINATIONS = ["Internet", "*", "Any", "0.0.0.0/0", "0.0.0.0", "::/0", "AzureCloud"];
/** An outbound prefix shorter than this opens a large part of the internet (0.0.0.0/1 + 128.0.0.0/1 is all of it). */
const MIN_OUTBOUND_PREFIX = 16;

/** Whether an outbound service tag or prefix is (about) anywhere. */
function openDestination(value: string): boolean {
  if (oneOf(value, OPEN_DESTINATIONS) || (value.includes(".") && oneOf(value.split(".")[0], OPEN_DESTINATIONS)))
    return true;
  const range = ipv4Range(value);
  if (range === undefined || range.prefix >= MIN_OUTBOUND_PREFIX) return false;
  // Private address space (RFC 1918) is not the internet, however wide.
  return !insidePrivateRanges(value);
}
const DOCS = "https://learn.microsoft.com/azure/machine-learning";

export const mlPublicNetwork = resourcePolicy<ml.WorkspaceArgs>(
  {
    name: "azure-native-machinelearningservices-workspace-disallow-public-network-access",
    description:
      "Every Azure Machine Learning workspace has public network access disabled, also when it is behind a virtual network.",
    severity: "high",
    pci: ["1.3.1", "1.4.4"],
    gdpr: ["25"],
    soc2: ["CC6.6"],
    service: "machinelearningservices",
    remediationSteps:
      'Set `publicNetworkAccess` to "Disabled", leave `allowPublicAccessWhenBehindVnet` unset or false, and add a private endpoint (group id `amlworkspace`).',
    url: `${DOCS}/how-to-configure-private-link`,
  },
  WORKSPACE,
  (props, args, report) => {
    // Absent ⇒ violation: the service default is "Enabled".
    if (props.publicNetworkAccess !== "Disabled") {
      report(
        `${who(args)} allows public network access (publicNetworkAccess ${show(props.publicNetworkAccess)}): set publicNetworkAccess to "Disabled" and reach it through a private endpoint.`,
      );
    }
    // Absent ⇒ false (the service default).
    if (presence(props, "allowPublicAccessWhenBehindVnet") === "unknown")
      requireKnown(props, "allowPublicAccessWhenBehindVnet");
    if (valueAt(props, "allowPublicAccessWhenBehindVnet") === true) {
      report(`${who(args)} allows public access when behind a VNet: set allowPublicAccessWhenBehindVnet to false.`);
    }
  },
);

export const mlManagedNetwork = resourcePolicy<ml.WorkspaceArgs>(
  {
    name: "azure-native-machinelearningservices-workspace-enforce-managed-network-isolation",
    description:
      "Every Azure Machine Learning workspace runs its compute in a managed network that only allows approved outbound destinations.",
    severity: "high",
    pci: ["1.3.2"],
    gdpr: ["32", "44"],
    soc2: ["CC6.6"],
    service: "machinelearningservices",
    remediationSteps:
      'Set `managedNetwork.isolationMode` to "AllowOnlyApprovedOutbound" and list the allowed destinations in `managedNetwork.outboundRules` (private endpoint, service tag or FQDN rules).',
    url: `${DOCS}/how-to-managed-network`,
  },
  WORKSPACE,
  (props, args, report) => {
    // Absent ⇒ violation: without managedNetwork the isolation mode is "Disabled" (no managed network).
    if (presence(props, "managedNetwork", "isolationMode") === "unknown")
      requireKnown(props, "managedNetwork", "isolationMode");
    const mode = valueAt(props, "managedNetwork", "isolationMode");
    if (mode !== "AllowOnlyApprovedOutbound") {
      report(
        `${who(args)} has managedNetwork.isolationMode ${show(mode)}: set managedNetwork.isolationMode to "AllowOnlyApprovedOutbound".`,
      );
    }
  },
);

export const mlCmk = resourcePolicy<ml.WorkspaceArgs>(
  {
    name: "azure-native-machinelearningservices-workspace-require-customer-managed-key",
    description:
      "Every in-scope Azure Machine Learning workspace encrypts its data with a customer-managed Key Vault key.",
    severity: "high",
    pci: ["3.5.1", "3.6.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "machinelearningservices",
    remediationSteps:
      'Set `encryption` to `{ status: "Enabled", keyVaultProperties: { keyVaultArmId, keyIdentifier }, identity: { userAssignedIdentity } }` when the workspace is created.',
    url: `${DOCS}/concept-customer-managed-keys`,
    config: { inScopeTagValues: inScopeKnob() },
  },
  WORKSPACE,
  (props, args, report) => {
    skipOutOfScope(props, args);
    // Absent ⇒ violation: Microsoft-managed keys by default; CMK can only be chosen at creation.
    if (presence(props, "encryption", "status") === "unknown") requireKnown(props, "encryption", "status");
    if (valueAt(props, "encryption", "status") !== "Enabled") {
      report(
        `${who(args)} does not use a customer-managed key (encryption.status ${show(valueAt(props, "encryption", "status"))}): set encryption.status to "Enabled".`,
      );
    }
    // The key identifier is usually an Output of the Key Vault key (unknown in preview): presence is enough.
    if (presence(props, "encryption", "keyVaultProperties", "keyIdentifier") === "absent") {
      report(
        `${who(args)} names no encryption key: set encryption.keyVaultProperties.keyIdentifier to the Key Vault key URI.`,
      );
    }
  },
);

export const mlHbiWorkspace = resourcePolicy<ml.WorkspaceArgs>(
  {
    name: "azure-native-machinelearningservices-workspace-enable-hbi-workspace",
    description:
      "Every in-scope Azure Machine Learning workspace that trains on cardholder or personal data is flagged high business impact, which limits the diagnostic data Microsoft collects and asks for its compute clusters' local scratch disks to be encrypted (enforced by Azure only in a subscription that never had a cluster; otherwise by support request: docs/operations.md).",
    severity: "medium",
    pci: ["3.5.1"],
    gdpr: ["25", "32(1)(a)"],
    soc2: ["C1.1"],
    service: "machinelearningservices",
    remediationSteps: "Set `hbiWorkspace` to true when the workspace is created.",
    url: `${DOCS}/concept-data-encryption`,
    config: { inScopeTagValues: inScopeKnob() },
  },
  WORKSPACE,
  (props, args, report) => {
    skipOutOfScope(props, args);
    // Absent ⇒ false (the service default), and it cannot be changed after creation.
    if (presence(props, "hbiWorkspace") === "unknown") requireKnown(props, "hbiWorkspace");
    if (props.hbiWorkspace !== true) {
      report(
        `${who(args)} is not a high-business-impact workspace (hbiWorkspace ${show(props.hbiWorkspace)}): set hbiWorkspace to true.`,
      );
    }
  },
);

export const mlComputeLocalAuth = resourcePolicy<ml.ComputeArgs>(
  {
    name: "azure-native-machinelearningservices-compute-disable-local-auth",
    description:
      "Every Azure Machine Learning compute accepts Microsoft Entra identities only, not local keys or credentials.",
    severity: "high",
    pci: ["7.2.2", "8.2.2"],
    gdpr: ["32"],
    soc2: ["CC6.1"],
    service: "machinelearningservices",
    remediationSteps: "Set `properties.disableLocalAuth` to true.",
    url: `${DOCS}/how-to-integrate-azure-policy`,
  },
  COMPUTE,
  (props, args, report) => {
    // Absent ⇒ violation: local authentication stays enabled by default.
    if (presence(props, "properties", "disableLocalAuth") === "unknown")
      requireKnown(props, "properties", "disableLocalAuth");
    if (valueAt(props, "properties", "disableLocalAuth") !== true) {
      report(
        `${who(args)} allows local authentication (properties.disableLocalAuth ${show(valueAt(props, "properties", "disableLocalAuth"))}): set properties.disableLocalAuth to true.`,
      );
    }
  },
);

export const mlComputePublicAccess = resourcePolicy<ml.ComputeArgs>(
  {
    name: "azure-native-machinelearningservices-compute-disallow-public-access",
    description:
      "Every Azure Machine Learning compute cluster and compute instance runs in a virtual network subnet, without public node IPs or a public SSH port.",
    severity: "high",
    pci: ["1.3.1", "1.4.4", "2.2.4"],
    gdpr: ["25"],
    soc2: ["CC6.6"],
    service: "machinelearningservices",
    remediationSteps:
      'Set `properties.properties.subnet.id` to the ML compute subnet, `properties.properties.enableNodePublicIp` to false, and `properties.properties.remoteLoginPortPublicAccess` to "Disabled" (clusters) or leave `sshSettings.sshPublicAccess` "Disabled" (instances).',
    url: `${DOCS}/how-to-secure-training-vnet`,
    config: {
      requireSubnet: {
        type: "boolean",
        default: true,
        description:
          "Require properties.properties.subnet; set false for workspaces with a managed network, where compute runs in the Microsoft-managed VNet and must name no subnet.",
      },
    },
  },
  COMPUTE,
  (props, args, report) => {
    // A type unknown during preview: undecided, not "not applicable".
    if (presence(props, "properties", "computeType") === "unknown") requireKnown(props, "properties", "computeType");
    const computeType = valueAt(props, "properties", "computeType");
    if (computeType !== "AmlCompute" && computeType !== "ComputeInstance") {
      args.notApplicable(
        `compute type ${show(computeType)} attaches an existing resource; its network is governed there`,
      );
    }
    const { requireSubnet } = args.getConfig<{ requireSubnet: boolean }>();
    const inner = ["properties", "properties"];
    const subnet = presence(props, ...inner, "subnet", "id");
    if (requireSubnet && subnet === "absent") {
      report(`${who(args)} is not in a virtual network: set properties.properties.subnet.id to the ML compute subnet.`);
    }
    // enableNodePublicIp absent ⇒ true (the service default: nodes get public IPs).
    if (presence(props, ...inner, "enableNodePublicIp") === "unknown")
      requireKnown(props, ...inner, "enableNodePublicIp");
    if (valueAt(props, ...inner, "enableNodePublicIp") !== false) {
      report(
        `${who(args)} gives its nodes public IPs (properties.properties.enableNodePublicIp ${show(valueAt(props, ...inner, "enableNodePublicIp"))}): set properties.properties.enableNodePublicIp to false.`,
      );
    }
    if (computeType === "AmlCompute") {
      // Absent ⇒ "NotSpecified": SSH closed when the cluster has a subnet, open on every node otherwise.
      // Unknown during preview: undecided, never passed (the violations above are already reported).
      if (presence(props, ...inner, "remoteLoginPortPublicAccess") === "unknown")
        requireKnown(props, ...inner, "remoteLoginPortPublicAccess");
      const ssh = valueAt(props, ...inner, "remoteLoginPortPublicAccess");
      // Compared without case, as every enum of the pack (the SDK's types take any string).
      if (sameText(ssh, "Enabled") || ((ssh === undefined || sameText(ssh, "NotSpecified")) && subnet === "absent")) {
        report(
          `${who(args)} exposes SSH publicly (properties.properties.remoteLoginPortPublicAccess ${show(ssh)}): set properties.properties.remoteLoginPortPublicAccess to "Disabled".`,
        );
      }
    } else {
      // Absent ⇒ "Disabled" (the compute instance default); unknown during preview: undecided.
      if (presence(props, ...inner, "sshSettings", "sshPublicAccess") === "unknown")
        requireKnown(props, ...inner, "sshSettings", "sshPublicAccess");
      const ssh = valueAt(props, ...inner, "sshSettings", "sshPublicAccess");
      if (sameText(ssh, "Enabled")) {
        report(
          `${who(args)} exposes SSH publicly (properties.properties.sshSettings.sshPublicAccess "Enabled"): set properties.properties.sshSettings.sshPublicAccess to "Disabled".`,
        );
      }
    }
  },
);

/** Problems of one managed-network outbound rule (`where` names it in messages); unknown values pass. */
export function outboundRuleProblems(where: string, rule: unknown, allowedFqdns: readonly string[]): string[] {
  const type = valueAt(rule, "type");
  const problems: string[] = [];
  if (sameText(type, "FQDN")) {
    // An FQDN rule opens a destination on the internet (through the managed Azure Firewall): only approved names.
    const destination = valueAt(rule, "destination");
    if (typeof destination === "string" && !allowedFqdns.some((p) => globMatch(p, destination))) {
      problems.push(
        `${where} allows the FQDN ${show(destination)}, which is not in allowedFqdns: remove the rule, reach the service through a private endpoint rule, or add the name to the policy's allowedFqdns after review.`,
      );
    }
  } else if (sameText(type, "ServiceTag")) {
    const tag = valueAt(rule, "destination", "serviceTag");
    const prefixes = stringsAt(rule, "destination", "addressPrefixes");
    const open = [tag, ...prefixes].filter((v): v is string => typeof v === "string" && openDestination(v));
    if (open.length > 0) {
      problems.push(
        `${where} allows outbound traffic to ${open.map((v) => show(v)).join(", ")}: name a specific service tag (destination.serviceTag) or private prefixes instead.`,
      );
    }
  } else if (sameText(type, "PrivateEndpoint")) {
    for (const key of ["serviceResourceId", "subresourceTarget"]) {
      if (presence(rule, "destination", key) === "absent") {
        problems.push(`${where} names no destination.${key}: set it to the target resource and its group id.`);
      }
    }
  }
  return problems;
}

export const mlOutboundRules = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-machinelearningservices-workspace-disallow-open-outbound-rules",
    description:
      "The outbound rules of every Azure Machine Learning managed network name specific destinations: private endpoints to named resources, specific service tags, and only reviewed FQDNs (which also add a billed managed Azure Firewall).",
    severity: "high",
    pci: ["1.3.2", "1.4.4"],
    gdpr: ["32", "44"],
    soc2: ["CC6.6"],
    service: "machinelearningservices",
    remediationSteps:
      "Prefer `PrivateEndpoint` rules with `destination.serviceResourceId` and `destination.subresourceTarget`; use `ServiceTag` rules only for a specific tag (never Internet or 0.0.0.0/0); add an `FQDN` rule only for a reviewed name listed in the policy's `allowedFqdns`.",
    url: `${DOCS}/how-to-managed-network`,
    config: {
      allowedFqdns: {
        type: "array",
        items: { type: "string" },
        default: [],
        description: "FQDNs (globs allowed, e.g. `*.pythonhosted.org`) an FQDN outbound rule may allow after review.",
      },
    },
  },
  [WORKSPACE, ...OUTBOUND_RULE_TYPES],
  (props, args, report) => {
    const { allowedFqdns } = args.getConfig<{ allowedFqdns: string[] }>();
    if (args.type === WORKSPACE) {
      // Unknown during a first preview (the SDK wraps managedNetwork in an output when a rule names a resource id
      // not known yet): read it anyway, so the engine reports "can't run during preview" instead of "not applicable".
      const rules =
        presence(props, "managedNetwork", "outboundRules") === "unknown"
          ? (props.managedNetwork as Record<string, unknown>).outboundRules
          : valueAt(props, "managedNetwork", "outboundRules");
      if (rules === undefined || rules === null || typeof rules !== "object" || Object.keys(rules).length === 0) {
        args.notApplicable("the workspace declares no outbound rules of its own");
      }
      for (const [ruleName, rule] of Object.entries(rules as Record<string, unknown>)) {
        for (const problem of outboundRuleProblems(`${who(args)} outbound rule '${ruleName}'`, rule, allowedFqdns)) {
          report(problem);
        }
      }
      return;
    }
    // An outbound rule resource whose properties are unknown during preview: undecided, never passed.
    if (presence(props, "properties") === "unknown") requireKnown(props, "properties");
    for (const problem of outboundRuleProblems(who(args), valueAt(props, "properties"), allowedFqdns)) {
      report(problem);
    }
  },
);

export const mlEndpointPublicNetwork = resourcePolicy<ml.OnlineEndpointArgs>(
  {
    name: "azure-native-machinelearningservices-onlineendpoint-disallow-public-network-access",
    description:
      "Every Azure Machine Learning online endpoint is reachable only through the workspace's private endpoint, not from the internet.",
    severity: "high",
    pci: ["1.3.1", "1.4.4"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.6"],
    service: "machinelearningservices",
    remediationSteps:
      'Set `properties.publicNetworkAccess` to "Disabled"; callers reach the scoring URI through the workspace private endpoint (privatelink.api.azureml.ms).',
    url: `${DOCS}/concept-secure-online-endpoint`,
  },
  ONLINE_ENDPOINT,
  (props, args, report) => {
    // Absent ⇒ violation: the service default is "Enabled".
    if (presence(props, "properties", "publicNetworkAccess") === "unknown")
      requireKnown(props, "properties", "publicNetworkAccess");
    const value = valueAt(props, "properties", "publicNetworkAccess");
    if (!sameText(value, "Disabled")) {
      report(
        `${who(args)} accepts scoring requests from the internet (properties.publicNetworkAccess ${show(value)}): set properties.publicNetworkAccess to "Disabled".`,
      );
    }
  },
);

export const mlEndpointAuth = resourcePolicy<ml.OnlineEndpointArgs>(
  {
    name: "azure-native-machinelearningservices-onlineendpoint-require-entra-auth",
    description:
      "Every Azure Machine Learning online endpoint authenticates callers with Microsoft Entra tokens (Azure RBAC on the endpoint), not static keys or workspace-issued tokens.",
    severity: "high",
    pci: ["7.2.2", "8.2.2", "8.3.1"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "machinelearningservices",
    remediationSteps:
      'Set `properties.authMode` to "AADToken" and grant callers a role with `Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action` on the endpoint.',
    url: `${DOCS}/concept-endpoints-online-auth`,
  },
  ONLINE_ENDPOINT,
  (props, args, report) => {
    // authMode is required by the API; anything but AADToken means keys or AML tokens a caller can copy.
    if (presence(props, "properties", "authMode") === "unknown") requireKnown(props, "properties", "authMode");
    const mode = valueAt(props, "properties", "authMode");
    if (!sameText(mode, "AADToken")) {
      report(
        `${who(args)} authenticates callers with ${show(mode)}: set properties.authMode to "AADToken" (Entra tokens, Azure RBAC).`,
      );
    }
  },
);

export const mlPolicies: Policies = [
  mlPublicNetwork,
  mlManagedNetwork,
  mlCmk,
  mlHbiWorkspace,
  mlComputeLocalAuth,
  mlComputePublicAccess,
  mlOutboundRules,
  mlEndpointPublicNetwork,
  mlEndpointAuth,
];
