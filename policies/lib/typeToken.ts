/**
 * azure-native type tokens with an explicit API version, in two forms: `azure-native:storage/v20230501:StorageAccount`
 * (the versioned tokens the default `azure-native:storage:StorageAccount` lists among its aliases, storageAccount.js,
 * as v2 SDKs registered them), and a v3 local package's, `pulumi package add azure-native storage 2023-05-01` (the
 * "Other available API versions" note in node_modules/@pulumi/azure-native/storage/storageAccount.d.ts), which
 * registers a package of its own: `azure-native_storage_v20230501:storage:StorageAccount` (pulumi-azure-native,
 * provider/pkg/provider parameterize_test.go: `expectedProviderName + ":aad:DomainService"`).
 * The rules name the default tokens, so the pack compares tokens with the version taken out of the module, once, in
 * `resourcePolicy` and `stackPolicy` (lib/policy.ts) and wherever a type list comes from config (`typeIn`).
 *
 * A versioned API's request body may differ from the default version's (a property renamed, moved or added): the
 * rules read the default version's property names, so on a versioned resource a renamed property reads as absent.
 * The advisory rule `azure-native-general-resource-require-default-api-version` (rules/general.ts) says so.
 */
import type { PolicyResource } from "@pulumi/policy";

/**
 * `azure-native:<module>/v<YYYYMMDD>[preview|privatepreview|beta]:<Class>`: the suffixes the SDK's aliases use
 * (node_modules/@pulumi/azure-native/<module>/*.js).
 */
const VERSIONED = /^(azure-native:[^:/]+)\/v(\d{8})([a-z]*)(:[^:]+)$/;
/** `azure-native_<module>_v<YYYYMMDD>[preview|privatepreview]:<module>:<Class>`: a v3 local package's token. */
const LOCAL_PACKAGE = /^azure-native_[A-Za-z0-9]+_v(\d{8})([a-z]*):([^:/]+):([^:]+)$/;

/** The default tokens already parsed, by declared token. */
const DEFAULT_TOKENS = new Map<string, string>();

/**
 * The type token without an API version (`…storage/v20230501:StorageAccount` and
 * `azure-native_storage_v20230501:storage:StorageAccount` → `azure-native:storage:StorageAccount`).
 */
export function defaultTypeToken(type: string): string {
  // Every rule asks it of every resource (ofType): a stack has a few dozen tokens, parsed once each.
  let token = DEFAULT_TOKENS.get(type);
  if (token === undefined) {
    const m = VERSIONED.exec(type);
    const l = m ? undefined : LOCAL_PACKAGE.exec(type);
    token = m ? `${m[1]}${m[4]}` : l ? `azure-native:${l[3]}:${l[4]}` : type;
    DEFAULT_TOKENS.set(type, token);
  }
  return token;
}

/** The API version a versioned token names (`2023-05-01`, `2021-06-01-preview`), or undefined for a default token. */
export function apiVersionOf(type: string): string | undefined {
  const m = VERSIONED.exec(type);
  const l = m ? undefined : LOCAL_PACKAGE.exec(type);
  const [date, suffix] = m ? [m[2], m[3]] : l ? [l[1], l[2]] : [undefined, undefined];
  if (date === undefined) return undefined;
  return `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}${suffix ? `-${suffix}` : ""}`;
}

/** Whether `type` is one of `types`, both compared without their API version (a type list from config). */
export function typeIn(types: readonly string[], type: string): boolean {
  const t = defaultTypeToken(type);
  return types.some((x) => defaultTypeToken(x) === t);
}

/**
 * The type token a URN records (`urn:pulumi:<stack>::<project>::<parent type>$<type>::<name>`): the resource's own
 * type, as declared (versioned or not).
 */
export function typeOfUrn(urn: string): string {
  const qualified = urn.split("::")[2] ?? "";
  return qualified.split("$").pop() ?? "";
}

/**
 * The stack's resources with default type tokens: copies (the engine's objects are left alone) whose dependencies,
 * property dependencies and parent point at the copies, so a rule that follows them compares default tokens too. The
 * same list when no token is versioned.
 */
export function withDefaultTypes(resources: PolicyResource[]): PolicyResource[] {
  if (resources.every((r) => defaultTypeToken(r.type) === r.type)) return resources;
  const copies = resources.map((r) => ({ ...r, type: defaultTypeToken(r.type) }));
  const byUrn = new Map(copies.map((c) => [c.urn, c]));
  const link = (d: PolicyResource) => byUrn.get(d.urn) ?? d;
  for (const c of copies) {
    c.dependencies = c.dependencies.map(link);
    c.propertyDependencies = Object.fromEntries(
      Object.entries(c.propertyDependencies).map(([k, v]) => [k, v.map(link)]),
    );
    if (c.parent) c.parent = link(c.parent);
  }
  return copies;
}
