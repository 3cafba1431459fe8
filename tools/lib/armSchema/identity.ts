/**
 * What ARM sees of an azure-native resource: its ARM resource type and Azure name (from the resource's id, which
 * the mock engine makes the one Azure would give), the REST API version the SDK class calls, the scope the PUT is
 * made at, and which inputs are path parameters (in the URL, not the body).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ARM_TYPES } from "../azureMocks";
import { defaultTypeToken, tokenApiVersion } from "../sdkType";

/** Where the resource is deployed; picks the schema file's section (`resourceDefinitions`, ...). */
export type ArmScope = "tenant" | "managementGroup" | "subscription" | "resourceGroup" | "extension";

export interface ArmIdentity {
  /** `Microsoft.KeyVault/vaults/keys` */
  readonly armType: string;
  /** The last segment of the id: the resource's own name in the PUT URL. */
  readonly name: string;
  /** The names of the parents and the resource, as a template writes a child's name (`server/current`). */
  readonly path: string;
  readonly scope: ArmScope;
}

/** ARM type, name and scope from a resource id; undefined when the id is not an ARM id. */
export function armIdentityFromId(id: string): ArmIdentity | undefined {
  const parts = id.split("/").filter((p) => p.length > 0);
  const last = parts.map((p) => p.toLowerCase()).lastIndexOf("providers");
  if (last < 0) {
    // /subscriptions/{s}/resourceGroups/{rg}
    if (parts.length === 4 && parts[0].toLowerCase() === "subscriptions" && parts[2].toLowerCase() === "resourcegroups")
      return { armType: "Microsoft.Resources/resourceGroups", name: parts[3], path: parts[3], scope: "subscription" };
    return undefined;
  }
  const after = parts.slice(last + 1);
  if (after.length < 3 || after.length % 2 === 0) return undefined;
  const armType = [after[0], ...after.slice(1).filter((_p, i) => i % 2 === 0)].join("/");
  const before = parts.slice(0, last).map((p) => p.toLowerCase());
  let scope: ArmScope;
  if (before.length === 0) scope = "tenant";
  else if (before.length === 2 && before[0] === "subscriptions") scope = "subscription";
  else if (before.length === 4 && before[2] === "resourcegroups") scope = "resourceGroup";
  else if (before[0] === "providers" && before[1] === "microsoft.management") scope = "managementGroup";
  else scope = "extension";
  const names = after.slice(1).filter((_p, i) => i % 2 === 1);
  return { armType, name: names[names.length - 1], path: names.join("/"), scope };
}

const SDK_ROOT = path.dirname(require.resolve("@pulumi/azure-native/package.json"));
const versions = new Map<string, string | undefined>();

/**
 * The REST API version an azure-native class calls. azure-native v3 records it in each class's generated doc
 * comment ("Uses Azure REST API version 2024-11-01.") and computes the `azureApiVersion` output from the same
 * metadata; the generic `resources:Resource` sends its own `apiVersion` input; a versioned token (tools/lib/sdkType.ts)
 * names its own.
 */
export function apiVersionOf(declaredType: string, inputs: Readonly<Record<string, unknown>>): string | undefined {
  // A versioned token (an alias, or a v3 local package's) names its version itself.
  const own = tokenApiVersion(declaredType);
  if (own !== undefined) return own;
  const sdkType = defaultTypeToken(declaredType);
  const [pkg, mod, cls] = sdkType.split(":");
  if (pkg !== "azure-native" || !mod || !cls) return undefined;
  if (mod === "resources" && cls === "Resource")
    return typeof inputs.apiVersion === "string" ? inputs.apiVersion : undefined;
  if (!versions.has(sdkType)) versions.set(sdkType, readSdkApiVersion(mod, cls));
  return versions.get(sdkType);
}

function readSdkApiVersion(mod: string, cls: string): string | undefined {
  const dir = path.join(SDK_ROOT, mod);
  let file = path.join(dir, `${cls.charAt(0).toLowerCase()}${cls.slice(1)}.js`);
  if (!fs.existsSync(file)) {
    // The module index maps classes to files: utilities.lazyLoad(exports, ["Vault"], () => require("./vault"));
    const index = fs.readFileSync(path.join(dir, "index.js"), "utf8");
    const m = new RegExp(`lazyLoad\\(exports, \\["${cls}"\\], \\(\\) => require\\("\\./([^"]+)"\\)\\)`).exec(index);
    if (!m) return undefined;
    file = path.join(dir, `${m[1]}.js`);
  }
  const head = fs.readFileSync(file, "utf8").slice(0, 8000);
  return /Uses Azure REST API version ([0-9]{4}-[0-9]{2}-[0-9]{2}(?:-[a-z]+)?)/.exec(head)?.[1];
}

/**
 * Inputs that are path parameters of the PUT (resource group, parent and own names, scope): the placeholders of
 * the mock engine's ARM path template for the type (named after the REST path parameters), plus the root.
 */
export function pathParameters(sdkType: string): ReadonlySet<string> {
  const spec = ARM_TYPES[defaultTypeToken(sdkType)];
  const names = new Set<string>();
  for (const m of spec?.path.matchAll(/\{(\w+)\}/g) ?? []) names.add(m[1]);
  const root = spec?.root ?? "resourceGroup";
  if (root === "resourceGroup") names.add("resourceGroupName");
  if (root === "scope") names.add("scope");
  if (root === "resourceUri") names.add("resourceUri");
  if (root === "scopeId") names.add("scopeId");
  return names;
}
