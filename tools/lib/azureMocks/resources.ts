/** The resource mocks: every ARM type in one table, and the id, Azure name and outputs a resource gets from it. */
import { defaultTypeToken } from "../sdkType";
import { guidFor, SUBSCRIPTION_ID, type ArmSpec, type Inputs, type MockContext } from "./common";
import { DATA_TYPES } from "./dataTypes";
import { OPERATIONS_TYPES } from "./operationsTypes";
import { PLATFORM_TYPES } from "./platformTypes";
import { WORKLOAD_TYPES } from "./workloadTypes";

/** Every resource type the program uses, by its default type token (the tiers' tables, in this order). */
export const ARM_TYPES: Record<string, ArmSpec> = {
  ...PLATFORM_TYPES,
  ...DATA_TYPES,
  ...WORKLOAD_TYPES,
  ...OPERATIONS_TYPES,
};

/** Class name of a type token: `azure-native:keyvault:Vault` → `Vault`. */
function className(type: string): string {
  return type.split(":").pop()?.split("/").pop() ?? type;
}

/** The Azure name a resource gets: its `<class>Name` input, `name`, or the logical name. */
export function azureName(type: string, logical: string, inputs: Inputs): string {
  const cls = className(type);
  const own = `${cls.charAt(0).toLowerCase()}${cls.slice(1)}Name`;
  for (const key of [own, "name", "resourceName"]) {
    const v = inputs[key];
    if (typeof v === "string" && v.length > 0) return v;
  }
  return logical;
}

function fill(template: string, inputs: Inputs, logical: string): string {
  return template.replace(/\{(\w+)\}/g, (_m, key: string) => {
    const v = inputs[key];
    return typeof v === "string" || typeof v === "number" ? String(v) : logical;
  });
}

/** The id and outputs a resource gets from the mock provider. */
export function mockResource(
  type: string,
  logical: string,
  urn: string,
  inputs: Inputs,
  lookup: MockContext["lookup"] = () => undefined,
): { id: string; state: Inputs } {
  const spec = ARM_TYPES[defaultTypeToken(type)];
  const name = azureName(type, logical, inputs);
  let id: string;
  if (!spec) {
    // Generic fallback (tests require an explicit entry for every type the program uses).
    const [, module = "unknown", cls = "Resource"] = type.split(":");
    id = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${String(inputs.resourceGroupName ?? "rg")}/providers/Microsoft.${module}/${cls.toLowerCase()}s/${name}`;
  } else {
    // An empty segment (a generic resource's "" parentResourcePath) is not part of an ARM id.
    const path = fill(spec.path, { ...inputs, name }, name).replace(/\/{2,}/g, "/");
    switch (spec.root ?? "resourceGroup") {
      case "subscription":
        id = `/subscriptions/${SUBSCRIPTION_ID}/${path}`;
        break;
      case "scope":
        id = `${String(inputs.scope)}/${path}`;
        break;
      case "resourceUri":
        id = `${String(inputs.resourceUri)}/${path}`;
        break;
      case "scopeId":
        // Defender pricings: `scopeId` is `subscriptions/<id>`, without the leading slash.
        id = `/${String(inputs.scopeId)}/${path}`;
        break;
      case "none":
        id = guidFor(urn);
        break;
      default:
        id = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${String(inputs.resourceGroupName)}/providers/${path}`;
    }
  }
  // Azure answers with the resource's own name as `name`: always the last segment of its ARM id.
  const armName = spec?.root === "none" ? name : (id.split("/").pop() ?? name);
  const extra = spec?.outputs ? spec.outputs(inputs, { id, name: armName, urn, lookup }) : {};
  return {
    id,
    state: { ...inputs, ...extra, name: armName, ...(spec?.root === "none" ? {} : { id }) },
  };
}
