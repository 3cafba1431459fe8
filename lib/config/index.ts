/**
 * Stack configuration: every key read (keys.ts), validated (schema.ts) and typed here, before any resource is
 * registered.
 * `parseConfig` is pure (tests feed it plain objects); `loadConfig` reads the stack's Pulumi config.
 * An invalid value fails with one line per problem naming the key, the bad value and what is allowed.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "../zod";
import { carve, formatCidr, parseCidr, type Cidr } from "../cidr";
import { providerConfigProblems, type ProviderConfig } from "../providerConfig";
import { PROJECT, ENVIRONMENTS, Environment, SUBNET_ROLES, SubnetRole, SUBNET_PREFIX, list } from "./common";
import {
  alertWebhookProblems,
  configIsSecret,
  namespaceWarnings,
  plainSecretProblems,
  readRaw,
  unknownKeyProblems,
} from "./keys";
import { ConfigError, show } from "./errors";
import { stackConfigSchema as schema } from "./schema";
import { findPlaceholders, placeholderVerdict } from "./placeholders";

export * from "./common";
export * from "./data";
export * from "./services";
export * from "./operations";
export * from "./network";
export * from "./keys";
export { ConfigError } from "./errors";
export * from "./schema";
export * from "./offHoursWindow";
export * from "./placeholders";
export * from "./subnetSizes";

export type RawConfig = z.input<typeof schema>;
type Parsed = z.output<typeof schema>;

export interface PlatformConfig extends Omit<Parsed, "subnets"> {
  /** Secret values (never plaintext): read with getSecret, so they stay Outputs marked secret. */
  readonly secrets: { readonly alertWebhookUrl?: pulumi.Output<string> };
  /** Stack name the config was read for. */
  readonly stack: string;
  /** Subnet CIDRs per role: from config, or carved deterministically from the address space. */
  readonly subnets: Readonly<Record<SubnetRole, string>>;
  readonly isProd: boolean;
}
export type SqlConfig = Parsed["sql"];
export type CosmosConfig = Parsed["cosmos"];
export type MlConfig = Parsed["ml"];
export type IngestionConfig = Parsed["ingestion"];
export type EtlConfig = Parsed["etl"];
export type StreamingConfig = Parsed["streaming"];
export type OperationsConfig = Parsed["operations"];

/**
 * The value a rule tested at `path` when the stack does not set it: the default there, as its top-level key parses
 * with what the stack sets of it (when that key alone is valid: a cross-key rule refused it). A prod stack without
 * `ml` is told "got 1 (the default...)", not "got nothing".
 */
function defaultAt(raw: Record<string, unknown>, path: readonly PropertyKey[]): unknown {
  const [top, ...rest] = path;
  const field = typeof top === "string" ? (schema.shape as Record<string, z.ZodType>)[top] : undefined;
  const parsed = typeof top === "string" ? field?.safeParse(raw[top]) : undefined;
  return parsed?.success ? at(parsed.data, rest) : undefined;
}

function at(obj: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (o, k) => (o && typeof o === "object" ? (o as Record<PropertyKey, unknown>)[k] : undefined),
    obj,
  );
}

/**
 * Validates plain values (as read from the stack) into the typed config; throws ConfigError. `provider` is the
 * azure-native provider's config (`azure-native:location`), checked with the rest when given.
 */
export function parseConfig(raw: Record<string, unknown>, stack: string, provider?: ProviderConfig): PlatformConfig {
  const env = raw.environment;
  const known = (v: unknown): v is Environment => ENVIRONMENTS.includes(v as Environment);
  // Checked first: every other rule depends on the environment being the stack's. Whatever the stack is called: a
  // stack `prod2` with `environment: dev` would otherwise run a production deployment with none of prod's rules.
  // A stack named neither dev nor prod cannot run (its environment would have to be its name); the same names in
  // another organisation (`<org>/payments-data-platform/dev`) can.
  if (known(env) && env !== stack) {
    throw new ConfigError([
      `config ${PROJECT}:environment: got ${show(env)}; must match the stack name '${stack}'${known(stack) ? "" : ` (stacks are named after their environment: ${list(ENVIRONMENTS)})`}`,
    ]);
  }
  const result = schema.safeParse(raw);
  // The provider's default region must be the stack's (EU) location: checked with everything else, one line each.
  const providerProblems = provider ? providerConfigProblems(provider, raw.location) : [];
  const rawProblems = presenceProblems(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const [top, ...rest] = issue.path.map(String);
      const key = `${PROJECT}:${top ?? "(root)"}${rest.length ? ` (${rest.join(".")})` : ""}`;
      // A setting the schema does not declare (settings() in ./strict): no value to show, the message names it.
      if (issue.code === "unrecognized_keys") return `config ${key}: ${issue.message}`;
      const value = at(raw, issue.path);
      if (issue.code === "invalid_type" && value === undefined) return `config ${key}: got ${show(value)}; is required`;
      // A value stored as a secret, or a certificate bundle (which may hold a private key), is never echoed: the CLI
      // hides a secret only where it appears whole, and `show` cuts and escapes it.
      if (configIsSecret(`${PROJECT}:${top}`) || rest.includes("certificate"))
        return `config ${key}: ${issue.message} (the value is not shown: ${rest.includes("certificate") ? "a certificate bundle" : "a secret"})`;
      const fallback = value === undefined ? defaultAt(raw, issue.path) : undefined;
      const got = fallback === undefined ? show(value) : `${show(fallback)} (the default: the key is not set)`;
      return `config ${key}: got ${got}; ${issue.message}`;
    });
    throw new ConfigError([...problems, ...rawProblems, ...providerProblems]);
  }
  if (rawProblems.length > 0 || providerProblems.length > 0)
    throw new ConfigError([...rawProblems, ...providerProblems]);
  const c = result.data;
  const space = parseCidr(c.vnetAddressSpace) as Cidr;
  let subnets: Record<SubnetRole, string>;
  if (c.subnets) {
    subnets = c.subnets as Record<SubnetRole, string>;
  } else {
    try {
      const carved = carve(
        space,
        SUBNET_ROLES.map((name) => ({ name, prefix: SUBNET_PREFIX[name] })),
      );
      subnets = Object.fromEntries(SUBNET_ROLES.map((r) => [r, formatCidr(carved[r])])) as Record<SubnetRole, string>;
    } catch (e) {
      throw new ConfigError([
        `config ${PROJECT}:vnetAddressSpace: got ${show(c.vnetAddressSpace)}; ${(e as Error).message}`,
      ]);
    }
  }
  return { ...c, subnets, stack, isProd: c.environment === "prod", secrets: {} };
}

/**
 * Rules on whether a key is set at all, which the schema cannot see once a default has filled it in: prod must set
 * `ingestion` (its defaults are dev sizes, which no value rule of prod's would catch: a gateway that scales to zero,
 * one always-ready scorer instance).
 */
function presenceProblems(raw: Record<string, unknown>): string[] {
  if (raw.environment !== "prod") return [];
  if (raw.ingestion === undefined)
    return [
      `config ${PROJECT}:ingestion: got nothing (the key is missing); must be set in prod: its defaults are dev sizes (gateway.minInstances 0, maxInstances 2, 40 instances per app): set gateway.minInstances and maxInstances, functions.sku, functions.instanceMemoryMB, functions.paymentApi and functions.fraudScoring (maximumInstanceCount, alwaysReady, sqlTriggerPollingMs), as Pulumi.prod.yaml does (docs/configuration.md, "ingestion")`,
    ];
  // The default (the extension's second) suits dev; prod's flow has a 200 ms P99 budget and its audit cost grows with
  // every poll: a choice to write down, not to inherit.
  if (
    at(raw, ["ingestion", "functions", "fraudScoring"]) !== undefined &&
    at(raw, ["ingestion", "functions", "fraudScoring", "sqlTriggerPollingMs"]) === undefined
  )
    return [
      `config ${PROJECT}:ingestion (functions.fraudScoring.sqlTriggerPollingMs): got nothing (the key is missing); must be set in prod, 100 to 60000 ms: the flow's 200 ms P99 budget wants 100 (Pulumi.prod.yaml), and each poll of each always-ready instance is audited (docs/cost.md, "SQL audit of the trigger's polls"), so the default of 1000 is not inherited silently`,
    ];
  // Prod's sizes of the streaming path and the ETL, which dev's defaults would replace without any prod rule noticing
  // (1 streaming unit, a 60-minute freshness alert, a non-zone-redundant relay without a warm loader, 8 DIUs).
  const missing = [
    ["etl"],
    ["streaming", "streamAnalytics"],
    ["streaming", "relay"],
    ["streaming", "freshnessMinutes"],
  ].filter((path) =>
    // A part of `streaming` only when `streaming` is set: without it at all, prod's own rules refuse the dev sizes.
    path.length === 1 || raw[path[0]] !== undefined ? at(raw, path) === undefined : false,
  );
  return missing.map((path) =>
    path.length === 1
      ? `config ${PROJECT}:${path[0]}: got nothing (the key is missing); must be set in prod: its defaults are dev sizes (Pulumi.prod.yaml sets them; docs/configuration.md, "${path[0]}")`
      : `config ${PROJECT}:${path[0]} (${path.slice(1).join(".")}): got nothing (the key is missing); must be set in prod: its default is dev's (Pulumi.prod.yaml sets it; docs/configuration.md, "${path[0]}")`,
  );
}

/** Reads the stack's config (Pulumi.<stack>.yaml plus Pulumi.yaml defaults) and validates it. */
export function loadConfig(): PlatformConfig {
  const cfg = new pulumi.Config(PROJECT);
  // Keys the program does not read, and a webhook URL that is not an https secret, are reported with every other
  // problem, in one error (the URL itself is never printed).
  const webhook = cfg.get("alertWebhookUrl");
  const configKeys = Object.keys(pulumi.runtime.allConfig());
  // A warning, not an error: keeping a value out of the repository (a secret in the stack file, an ESC secret) is a
  // fair reason, as long as its owner knows the state holds it in plain text.
  for (const w of plainSecretProblems(configKeys, configIsSecret)) void pulumi.log.warn(w);
  for (const w of namespaceWarnings(configKeys)) void pulumi.log.warn(w);
  const early = [
    ...unknownKeyProblems(configKeys),

    ...(webhook === undefined ? [] : alertWebhookProblems(webhook, configIsSecret(`${PROJECT}:alertWebhookUrl`))),
  ];
  let parsed: PlatformConfig;
  try {
    parsed = parseConfig(
      readRaw((key) => cfg.get(key)),
      pulumi.getStack(),
      {
        location: new pulumi.Config("azure-native").get("location"),
      },
    );
  } catch (e) {
    throw e instanceof ConfigError && early.length > 0 ? new ConfigError([...early, ...e.problems]) : e;
  }
  if (early.length > 0) throw new ConfigError(early);
  // Documentation names left in the receivers and the API's host name (./placeholders): refused by prod's `up`, the
  // run that changes Azure (a preview, the offline one included, runs with dryRun true), warned of otherwise.
  const placeholders = placeholderVerdict(findPlaceholders(parsed), {
    prod: parsed.isProd,
    dryRun: pulumi.runtime.isDryRun(),
  });
  if (placeholders.errors.length > 0) throw new ConfigError(placeholders.errors);
  for (const w of placeholders.warnings) void pulumi.log.warn(w);
  const alertWebhookUrl = cfg.getSecret("alertWebhookUrl");
  return { ...parsed, secrets: alertWebhookUrl ? { alertWebhookUrl } : {} };
}
