/**
 * The stack's keys as the program reads them: which are strings and which JSON, the one secret, and the keys, namespaces
 * and secrets the program does not read (each reported naming the key and, for a misspelling, the key it resembles).
 */
import * as pulumi from "@pulumi/pulumi";
import { closest, editDistance } from "./strict";
import { PROJECT } from "./common";
import { ConfigError, show } from "./errors";
import type { RawConfig } from "./index";

/** Keys read from the stack: plain strings, or JSON for numbers, booleans, arrays and objects. */
const KEYS: Readonly<Record<keyof RawConfig, "string" | "json">> = {
  environment: "string",
  workload: "string",
  location: "string",
  secondaryLocation: "string",
  owner: "string",
  costCenter: "string",
  extraTags: "json",
  vnetAddressSpace: "string",
  subnets: "json",
  hub: "json",
  privateDns: "json",
  logRetentionDays: "json",
  logAnalyticsCommitmentGbPerDay: "json",
  logLongTermRetention: "json",
  flowLogs: "json",
  keyVaultSku: "string",
  hsmKeys: "json",
  cmkKeySize: "json",
  keyRotationDays: "json",
  keyExpiryDays: "json",
  alertEmails: "json",
  enableFirewall: "json",
  enableDdosProtection: "json",
  protectStatefulResources: "json",
  platformAdminsGroupId: "string",
  databaseAdminsGroupId: "string",
  dataEngineersGroupId: "string",
  analystsGroupId: "string",
  fraudMlGroupId: "string",
  sql: "json",
  cosmos: "json",
  usage: "json",
  load: "json",
  olap: "json",
  ml: "json",
  ingestion: "json",
  etl: "json",
  streaming: "json",
  ddosProtectionMode: "string",
  ddosProtectionPlanId: "string",
  functionPackageWrites: "string",
  operations: "json",
};

/** Keys whose values are secret (read with getSecret; never printed). */
export const SECRET_KEYS = ["alertWebhookUrl"] as const;

/**
 * What is wrong with `alertWebhookUrl` (pure), without its value (a secret: the URL carries the incident tool's
 * credentials): it must be an https:// URL, and stored as a secret (`pulumi config set --secret`). `secret` says
 * whether the engine handed it to the program as one (configIsSecret).
 */
export function alertWebhookProblems(value: string | undefined, secret: boolean): string[] {
  if (value === undefined) return [];
  const key = `config ${PROJECT}:alertWebhookUrl`;
  const problems: string[] = [];
  if (!secret)
    problems.push(
      `${key}: is stored in plain text; must be a secret (it carries the incident tool's credentials): pulumi config set --secret alertWebhookUrl https://...`,
    );
  const https = URL.canParse(value) && new URL(value).protocol === "https:" && new URL(value).hostname !== "";
  if (!https) problems.push(`${key}: must be an https:// URL (the value is not shown: it is a secret)`);
  return problems;
}

/**
 * Whether the engine marked a config key (`<namespace>:<key>`) secret: a `secure:` value in the stack file, or one
 * from a secret ESC value. `isConfigSecret` is @pulumi/pulumi's (sdk/nodejs/runtime/config.ts), exported at run time
 * but marked @internal, hence missing from its typings; it reads PULUMI_CONFIG_SECRET_KEYS, which its comment calls
 * "the environment variable key that the language plugin uses to set configuration keys that contain secrets" (the
 * offline preview sets the same list through `runtime.setAllConfig`). tests/configRules.spec.ts fails if it goes.
 */
export function configIsSecret(fullKey: string): boolean {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
  if (typeof runtime.isConfigSecret !== "function")
    throw new Error("@pulumi/pulumi no longer exports runtime.isConfigSecret: update lib/config's configIsSecret");
  return runtime.isConfigSecret(fullKey);
}

/**
 * Turns the config strings the engine hands the program (`get(key)` for keys in the project namespace) into
 * plain values: strings stay strings, numbers/booleans/lists/objects are parsed from their JSON form.
 */
export function readRaw(get: (key: string) => string | undefined): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, kind] of Object.entries(KEYS)) {
    const text = get(key);
    if (text === undefined) continue;
    if (kind === "string") {
      raw[key] = text;
      continue;
    }
    try {
      raw[key] = JSON.parse(text);
    } catch {
      problems.push(`config ${PROJECT}:${key}: got ${show(text)}; must be valid YAML/JSON of the documented shape`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return raw;
}

/**
 * The keys of the project's namespace that the program does not read (`payments-data-platform:<key>`), one problem
 * each with the likely intended key: the CLI passes any key through, and a misspelt one would otherwise leave its
 * default in force silently.
 */
export function unknownKeyProblems(configKeys: readonly string[]): string[] {
  const declared = [...Object.keys(KEYS), ...SECRET_KEYS];
  const unknown = configKeys
    .filter((k) => k.startsWith(`${PROJECT}:`))
    .map((k) => k.slice(PROJECT.length + 1))
    .filter((k) => !declared.includes(k))
    .map((k) => {
      const near = closest(k, declared);
      return `config ${PROJECT}:${k}: is not a setting of this project${near ? ` (did you mean ${near}?)` : ""}; the settings are listed in docs/configuration.md`;
    });
  return [...unknown, ...namespaceProblems(configKeys)];
}

/**
 * The namespaces whose misspelling loses a setting: this project's (its keys configure the program) and those of the
 * providers the program configures through the stack (`azure-native:location`, `azuread:tenantId`). `random`, `time`
 * and `pulumi` take nothing the stack sets that a misspelling would lose silently, and short names are too close to
 * common words to guess at.
 */
export const KNOWN_NAMESPACES: readonly string[] = [PROJECT, "azure-native", "azuread"];

/**
 * Other providers' namespaces, which a shared ESC environment may set for other stacks: real names, not misspellings
 * of the ones above, though some are as close (`azure`, the classic provider, and `azurerm` are two edits from
 * `azuread`).
 */
const OTHER_PROVIDER_NAMESPACES: readonly string[] = [
  "azure",
  "azurerm",
  "azureml",
  "azuredevops",
  "azapi",
  "azure-justrun",
  "aws",
  "aws-native",
  "gcp",
  "google-native",
  "kubernetes",
  "docker",
  "github",
  "tls",
  "command",
  "vault",
  "esc",
  "std",
  "null",
  "local",
  "archive",
  "http",
  "databricks",
  "pulumiservice",
];

/** The known namespace `namespace` is one or two edits from (a misspelling), or undefined. */
function misspeltNamespace(namespace: string): string | undefined {
  if (KNOWN_NAMESPACES.includes(namespace) || OTHER_PROVIDER_NAMESPACES.includes(namespace)) return undefined;
  return KNOWN_NAMESPACES.find((n) => editDistance(namespace.toLowerCase(), n.toLowerCase()) <= 2);
}

const namespaceOf = (k: string) => (k.indexOf(":") > 0 ? k.slice(0, k.indexOf(":")) : undefined);

/**
 * Keys under a namespace one or two edits from this project's (`payments-data-platfrom:cmkKeySize`): nothing reads
 * them, so the setting the operator meant keeps its default without a word: an error. A namespace farther from it (a
 * team's shared `team:` keys) is left alone, as docs/configuration.md says.
 */
export function namespaceProblems(configKeys: readonly string[]): string[] {
  return configKeys.flatMap((k) => {
    const namespace = namespaceOf(k);
    if (namespace === undefined || misspeltNamespace(namespace) !== PROJECT) return [];
    return [
      `config ${k}: nothing reads the namespace "${namespace}" (did you mean ${PROJECT}:${k.slice(namespace.length + 1)}?); ` +
        `this program reads ${PROJECT}: keys only, so this value is ignored`,
    ];
  });
}

/**
 * Keys one or two edits from a provider's namespace the program configures (`azure-natvie:location`): a warning, not
 * an error (another team's provider may be named so: the allow-list above holds the real ones known).
 */
export function namespaceWarnings(configKeys: readonly string[]): string[] {
  return configKeys.flatMap((k) => {
    const namespace = namespaceOf(k);
    const near = namespace === undefined ? undefined : misspeltNamespace(namespace);
    if (namespace === undefined || near === undefined || near === PROJECT) return [];
    return [
      `config ${k}: nothing this stack runs reads the namespace "${namespace}" (did you mean ${near}:${k.slice(namespace.length + 1)}?); ` +
        `the ${near} provider reads ${near}: keys only`,
    ];
  });
}

/**
 * Settings stored as secrets (`pulumi config set --secret`, or an ESC secret) that the program reads as plain text:
 * their values reach resource inputs and tags, which the state keeps unencrypted (Pulumi keeps secret only what is
 * secret on the way in), while the stack file suggests they are protected. Only `alertWebhookUrl` is read as a secret.
 */
export function plainSecretProblems(configKeys: readonly string[], isSecret: (fullKey: string) => boolean): string[] {
  return configKeys
    .filter((k) => k.startsWith(`${PROJECT}:`) && Object.keys(KEYS).includes(k.slice(PROJECT.length + 1)))
    .filter((k) => isSecret(k))
    .map(
      (k) =>
        `config ${k}: is stored as a secret, but the program reads it as plain text: its value reaches resource inputs and tags, which the state keeps unencrypted (only alertWebhookUrl stays secret)`,
    );
}
