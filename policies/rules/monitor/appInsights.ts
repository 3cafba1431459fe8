/**
 * Application Insights components: workspace-based, no local (key) authentication, no public network access, no client IP collection.
 */
import type * as applicationinsights from "@pulumi/azure-native/applicationinsights";
import { resourcePolicy } from "../../lib/policy";
import { isSet, sameText, who } from "../../lib/values";
import { COMPONENT } from "./shared";
import { checkMonitorNetwork, publicAccessConfig } from "./workspace";

// ---------------------------------------------------------------------------------------------------------------
// Application Insights
// ---------------------------------------------------------------------------------------------------------------

export const componentLocalAuth = resourcePolicy<applicationinsights.ComponentArgs>(
  {
    name: "azure-native-applicationinsights-component-disable-local-auth",
    description:
      "Application Insights components accept telemetry only with Microsoft Entra ID authentication, not with the instrumentation key alone.",
    severity: "medium",
    pci: ["10.3.2", "8.2.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "monitor",
    remediationSteps:
      "Set `disableLocalAuth: true` and give the function app's identity Monitoring Metrics Publisher on the component.",
    url: "https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication",
  },
  COMPONENT,
  (props, args, report) => {
    // Absent = false (instrumentation-key ingestion allowed).
    if (props.disableLocalAuth !== true) {
      report(`${who(args)} accepts unauthenticated telemetry: set disableLocalAuth to true.`);
    }
  },
);

export const componentWorkspace = resourcePolicy<applicationinsights.ComponentArgs>(
  {
    name: "azure-native-applicationinsights-component-require-log-analytics-workspace",
    description:
      "Application Insights components are workspace-based, so their telemetry is kept, protected and retained with the central Log Analytics workspace.",
    severity: "medium",
    pci: ["10.3.3", "10.5.1"],
    gdpr: ["5(2)", "32(1)(b)"],
    soc2: ["CC7.2"],
    service: "monitor",
    remediationSteps:
      'Set `workspaceResourceId` to the central Log Analytics workspace id and leave `ingestionMode` unset or `"LogAnalytics"`.',
    url: "https://learn.microsoft.com/azure/azure-monitor/app/create-workspace-resource",
  },
  COMPONENT,
  (props, args, report) => {
    // workspaceResourceId absent = a classic (non-workspace) component.
    if (!isSet(props, "workspaceResourceId")) {
      report(`${who(args)} is not workspace-based: set workspaceResourceId to the Log Analytics workspace id.`);
    } else if (props.ingestionMode !== undefined && !sameText(props.ingestionMode, "LogAnalytics")) {
      report(`${who(args)} ingests in '${props.ingestionMode}' mode: set ingestionMode to "LogAnalytics".`);
    }
  },
);

export const componentNetwork = resourcePolicy<applicationinsights.ComponentArgs>(
  {
    name: "azure-native-applicationinsights-component-disallow-public-network-access",
    description:
      "Application Insights components take telemetry only through private link, and queries too unless the stack allows public queries.",
    severity: "medium",
    pci: ["1.4.4", "10.3.2"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.6"],
    service: "monitor",
    remediationSteps:
      'Set `publicNetworkAccessForIngestion: "Disabled"` and `publicNetworkAccessForQuery: "Disabled"` and add the component to the Azure Monitor Private Link Scope (config `allowPublicQuery` relaxes the query side).',
    url: "https://learn.microsoft.com/azure/azure-monitor/logs/private-link-security",
    config: publicAccessConfig,
  },
  COMPONENT,
  (props, args, report) => checkMonitorNetwork(props, args, report),
);

export const componentIpMasking = resourcePolicy<applicationinsights.ComponentArgs>(
  {
    name: "azure-native-applicationinsights-component-disallow-ip-address-collection",
    description:
      "Application Insights components keep IP masking on, so client IP addresses (personal data) are not stored in telemetry.",
    severity: "medium",
    pci: [],
    gdpr: ["5(1)(c)", "25"],
    soc2: ["P4.1"],
    service: "monitor",
    remediationSteps: "Remove `disableIpMasking` or set it to `false`.",
    url: "https://learn.microsoft.com/azure/azure-monitor/app/ip-collection",
  },
  COMPONENT,
  (props, args, report) => {
    // Absent = false (IP addresses are masked), the Azure default.
    if (props.disableIpMasking === true) {
      report(`${who(args)} stores client IP addresses: set disableIpMasking to false.`);
    }
  },
);
