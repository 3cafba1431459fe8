/**
 * Outputs Azure fills with whatever the resource holds, not only what the program sent. A web or function app's
 * application settings (and its connection strings) are read back whole on every refresh and update (the provider
 * lists them: `WebApps_ListApplicationSettings`), so a setting added outside the program (a key pasted in the portal,
 * a deployment tool's connection string) reaches the state, `pulumi preview --diff`, the deploy's job summary and any
 * stack export in plain text unless the resource keeps its `properties` output secret. Its inputs being secrets does
 * not cover it: the output is what Azure returns. The rule reads the resource option the CLI hands the pack
 * (`additionalSecretOutputs`), which the program alone decides.
 */
import type { Policies } from "@pulumi/policy";
import { resourcePolicy } from "../lib/policy";
import { who } from "../lib/values";

/** The settings resources whose whole `properties` output is the app's settings (names and values). */
export const SETTINGS_TYPES = [
  "azure-native:web:WebAppApplicationSettings",
  "azure-native:web:WebAppApplicationSettingsSlot",
  "azure-native:web:WebAppConnectionStrings",
  "azure-native:web:WebAppConnectionStringsSlot",
] as const;

export const webSettingsSecretOutputs = resourcePolicy<Record<string, unknown>>(
  {
    name: "azure-native-web-webappapplicationsettings-require-secret-outputs",
    description:
      "A web or function app's application settings and connection strings resources keep their `properties` output secret (`additionalSecretOutputs`), because Azure returns every setting on each refresh, including one added outside the program, and Pulumi would otherwise write it to the state, previews and stack exports in plain text.",
    severity: "high",
    pci: ["8.3.2", "8.6.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "web",
    remediationSteps:
      'Register the resource with `{ additionalSecretOutputs: ["properties"] }` (components/shared/functionApp.ts does for the function apps\' settings).',
    url: "https://www.pulumi.com/docs/iac/concepts/options/additionalsecretoutputs/",
  },
  SETTINGS_TYPES,
  (_props, args, report) => {
    if (!args.opts.additionalSecretOutputs.includes("properties")) {
      report(
        `${who(args)} does not keep its \`properties\` output secret: every setting Azure returns on a refresh (one added by hand among them) would reach the state in plain text. Set \`additionalSecretOutputs: ["properties"]\`.`,
      );
    }
  },
);

export const secretOutputPolicies: Policies = [webSettingsSecretOutputs];
