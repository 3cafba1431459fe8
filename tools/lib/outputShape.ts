/**
 * The output properties of an azure-native resource, as the provider returns them. azure-native's state holds the
 * response's properties only: the inputs that are part of the resource's path (`resourceGroupName`, a parent's name
 * such as `serverName`, `scope`, a diagnostic setting's `resourceUri`...) and write-only inputs are not outputs
 * (pulumi/pulumi-azure-native#574). During a preview its Create answers `PreviewOutputs`: each response property
 * takes the input of the same name, or is unknown (provider/pkg/convert/previewOutputs.go, called from Create when
 * `req.GetPreview()`). Stack policies see those outputs ("Unlike Analyze, AnalyzeStack is called on the final
 * outputs of each resource": pulumi/pulumi pkg/resource/deploy/step_generator.go, AnalyzeResources), so the offline
 * engine gives them the same shape.
 *
 * The names come from the SDK class itself: its constructor lists every output as `resourceInputs["x"] = undefined
 * /*out*\/` (the branch that reads an existing resource lists all of them). Providers bridged from Terraform
 * (azuread, random) echo every input, so they keep the echo.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const SDK = path.dirname(require.resolve("@pulumi/azure-native/package.json"));
const cache = new Map<string, ReadonlySet<string> | undefined>();

/** The SDK file of an azure-native type token (`azure-native:sql:Database` → sql/database.js), if any. */
function classFile(token: string): string | undefined {
  const [, module, name] = token.split(":");
  if (!module || !name || !/^[a-z0-9]+$/i.test(module)) return undefined;
  const dir = path.join(SDK, module);
  const guess = path.join(dir, `${name[0].toLowerCase()}${name.slice(1)}.js`);
  const marker = `__pulumiType = '${token}'`;
  const holds = (file: string) => {
    try {
      return fs.readFileSync(file, "utf8").includes(marker) ? file : undefined;
    } catch {
      return undefined;
    }
  };
  const found = holds(guess);
  if (found) return found;
  // Acronym-named classes (ASCDataConnector → ascdataConnector.js): look for the class's type token.
  let files: string[];
  try {
    files = fs.readdirSync(dir).filter((f) => f.endsWith(".js") && !f.startsWith("get") && f !== "index.js");
  } catch {
    return undefined;
  }
  for (const f of files) {
    if (f.toLowerCase() === `${name.toLowerCase()}.js` && holds(path.join(dir, f))) return path.join(dir, f);
  }
  return undefined;
}

/**
 * The output property names of an azure-native resource type, or undefined for any other provider (or a type the
 * SDK does not have), whose outputs then echo the inputs.
 */
export function outputNames(token: string): ReadonlySet<string> | undefined {
  if (cache.has(token)) return cache.get(token);
  let names: ReadonlySet<string> | undefined;
  if (token.startsWith("azure-native:")) {
    const file = classFile(token);
    if (file) {
      const source = fs.readFileSync(file, "utf8");
      const found = [...source.matchAll(/resourceInputs\["(\w+)"\] = undefined \/\*out\*\//g)].map((m) => m[1]);
      names = new Set(found);
    }
  }
  cache.set(token, names);
  return names;
}

/**
 * Output types of nested objects whose input carries properties the response has not, for the types where a rule
 * depends on it: an ARM deployment's `properties` is a DeploymentPropertiesExtendedResponse, which has no `template`
 * (so no policy sees a deployment's template in the outputs). tests/engine.spec.ts checks the list against the SDK.
 */
export const DEPLOYMENT_PROPERTIES_OUTPUTS = [
  "correlationId",
  "debugSetting",
  "dependencies",
  "duration",
  "error",
  "mode",
  "onErrorDeployment",
  "outputResources",
  "outputs",
  "parameters",
  "parametersLink",
  "providers",
  "provisioningState",
  "templateHash",
  "templateLink",
  "timestamp",
  "validatedResources",
] as const;
const NESTED: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  "azure-native:resources:Deployment": { properties: DEPLOYMENT_PROPERTIES_OUTPUTS },
  "azure-native:resources:DeploymentAtSubscriptionScope": { properties: DEPLOYMENT_PROPERTIES_OUTPUTS },
};

const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/**
 * The outputs an azure-native Create returns during a preview (`PreviewOutputs`): each output property takes the
 * input of the same name, every other output property is `unknown`; inputs that are not outputs are dropped. Other
 * providers echo the inputs. Nested objects keep the input's shape (the provider maps each to its response type's
 * shape too, with unknowns for the rest), except those in NESTED.
 */
export function previewOutputs<T>(
  token: string,
  inputs: Readonly<Record<string, T>>,
  unknown: T,
): Record<string, T> | undefined {
  const names = outputNames(token);
  if (!names) return undefined;
  const nested = NESTED[token] ?? {};
  const out: Record<string, T> = {};
  for (const name of names) {
    const value = name in inputs ? inputs[name] : unknown;
    const keys = nested[name];
    out[name] =
      keys && isPlainObject(value)
        ? (Object.fromEntries(keys.map((k) => [k, k in value ? value[k] : unknown])) as T)
        : value;
  }
  return out;
}

/** The outputs of a deployed azure-native resource: only its output properties (and its `id`). */
export function deployedOutputs<T>(token: string, state: Readonly<Record<string, T>>): Record<string, T> | undefined {
  const names = outputNames(token);
  if (!names) return undefined;
  const nested = NESTED[token] ?? {};
  return Object.fromEntries(
    Object.entries(state)
      .filter(([k]) => names.has(k) || k === "id")
      .map(([k, v]) => {
        const keys = nested[k];
        return [
          k,
          keys && isPlainObject(v) ? (Object.fromEntries(keys.filter((x) => x in v).map((x) => [x, v[x]])) as T) : v,
        ];
      }),
  );
}
