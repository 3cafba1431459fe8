/** For tests and fixtures: a resource record from its type and name, one policy evaluated alone. */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { ExemptionRecord } from "../../../policies/lib/exemptions";
import { ARM_TYPES, mockResource } from "../azureMocks";
import { defaultTypeToken } from "../sdkType";
import { UNKNOWN } from "../engine/values";
import { deployedOutputs, previewOutputs } from "../outputShape";
import { runPolicies } from "./evaluate";
import type { PolicyConfigValue, ResourceRecord, Violation } from "./types";

/** Whether a value holds the engine's unknown sentinel anywhere (an Output of a resource not yet created). */
const holdsUnknown = (value: unknown): boolean =>
  value === UNKNOWN ||
  (Array.isArray(value)
    ? value.some(holdsUnknown)
    : !!value && typeof value === "object" && Object.values(value).some(holdsUnknown));

/**
 * The outputs the engine gives a resource, as stack policies see them (tools/lib/outputShape.ts): an azure-native
 * resource keeps its response properties only, never its path parameters (`resourceGroupName`, a parent's
 * `serverName`, `scope`...) nor write-only inputs, and its `id` is its ARM id (the offline mocks' own, or `id`). One
 * whose inputs hold an unknown is a create in a first preview: its outputs are the provider's preview outputs (every
 * response property from the input of the same name, else unknown) and it has no id yet. Other providers (azuread,
 * random) echo their inputs. A test sets the id it wants with `id` (or an `id` input); a type the offline mocks do not
 * know (one the program does not deploy) has no id unless the test gives one.
 */
export function engineOutputs(
  type: string,
  name: string,
  urn: string,
  inputs: Record<string, unknown>,
  id?: string,
  preview = false,
) {
  if (!type.startsWith("azure-native:")) return { ...inputs };
  // A test names the id it wants in `extra.id`, or as an `id` input (a fixture's shorthand).
  const own = id ?? (typeof inputs.id === "string" ? inputs.id : undefined);
  if (preview || holdsUnknown(inputs)) {
    const outputs = previewOutputs<unknown>(type, inputs, UNKNOWN) ?? { ...inputs };
    // A create has no id yet; a test that gives one previews an update of a resource that exists.
    return own === undefined ? outputs : { ...outputs, id: own };
  }
  // A type the program does not deploy has no mock entry, so no true ARM id nor Azure name: a test that needs one
  // gives it (Azure's name for it is the id's last segment).
  if (ARM_TYPES[defaultTypeToken(type)] === undefined)
    return (
      deployedOutputs<unknown>(type, {
        ...inputs,
        ...(own === undefined ? {} : { id: own, name: own.split("/").pop() }),
      }) ?? { ...inputs }
    );
  const mocked = mockResource(type, name, urn, inputs);
  // The mock derives some outputs from the id (a VNet's subnets' ids): from the test's id when it names one, where the
  // mock's id is a whole id or the start of a child's (`…/vnet-hub`, another resource, keeps its name).
  const state =
    own === undefined || own === mocked.id
      ? mocked.state
      : {
          ...(JSON.parse(
            JSON.stringify(mocked.state).replace(
              new RegExp(
                `${JSON.stringify(mocked.id)
                  .slice(1, -1)
                  .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?=["/])`,
                "g",
              ),
              JSON.stringify(own).slice(1, -1),
            ),
          ) as Record<string, unknown>),
          name: own.split("/").pop(),
        };
  return deployedOutputs<unknown>(type, { ...state, id: own ?? mocked.id }) ?? { ...inputs };
}

/**
 * Builds a ResourceRecord for tests and fixtures: URN and defaults filled in from type and name, outputs as the engine
 * gives them (`engineOutputs`) unless `extra.outputs` says otherwise.
 */
export function resourceRecord(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  extra: Partial<Omit<ResourceRecord, "type" | "name" | "inputs">> & {
    stack?: string;
    project?: string;
    /** A create in a first preview even though every input is known (literal names): preview outputs, no id. */
    preview?: boolean;
  } = {},
): ResourceRecord {
  const { stack = "dev", project = "payments-data-platform", preview = false, ...rest } = extra;
  const urn = `urn:pulumi:${stack}::${project}::${type}::${name}`;
  return {
    urn,
    type,
    name,
    custom: true,
    dependencies: [],
    propertyDependencies: {},
    inputs,
    outputs: engineOutputs(type, name, urn, inputs, rest.id, preview),
    protect: false,
    ...rest,
  };
}

export interface SingleResult {
  /** Violation messages at any level. */
  readonly messages: string[];
  readonly violations: readonly Violation[];
  /** False when the policy marked the resource (or stack) not applicable or skipped it by type. */
  readonly applicable: boolean;
  readonly exemptions: readonly ExemptionRecord[];
}

/**
 * Runs one policy over the given resources through `runPolicies` (the same engine as the preview): the helper
 * policy tests use. `config` is the policy's own entry of the pack config (knobs and/or enforcementLevel).
 */
export async function evaluatePolicy(
  policy: ResourceValidationPolicy | StackValidationPolicy,
  resources: ResourceRecord | readonly ResourceRecord[],
  config: Record<string, unknown> = {},
): Promise<SingleResult> {
  const list = Array.isArray(resources) ? resources : [resources as ResourceRecord];
  const verdict = await runPolicies([policy], list, {
    config: { [policy.name]: config as PolicyConfigValue },
    stack: list[0] ? list[0].urn.split("::")[0].split(":")[2] : undefined,
  });
  return {
    messages: verdict.violations.map((v) => v.message),
    violations: verdict.violations,
    applicable: (verdict.evaluated[policy.name] ?? 0) > 0,
    exemptions: verdict.exemptions,
  };
}
