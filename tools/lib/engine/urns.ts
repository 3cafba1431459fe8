/**
 * URNs and aliases as the engine forms them: a resource's URN from its parent's, the duplicate-URN error, the
 * program's own aliases (the SDK's API-version aliases left out, and dropped before the SDK resolves them).
 */
import * as pulumi from "@pulumi/pulumi";

/** The root stack resource's type (sdk/go/common/tokens: `RootStackType`), which no child's URN carries. */
export const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/**
 * A resource's URN as the engine forms it, not as the SDK's MockMonitor.newUrn does (runtime/mocks.js keeps only the
 * last `$` segment of the parent's type and keeps `pulumi:pulumi:Stack` as one). pulumi/pulumi
 * pkg/resource/deploy/deployment.go `generateURN`: "if parent != "" && parent.QualifiedType() != resource.RootStackType
 * { parentType = parent.QualifiedType() }" (the parent's full qualified type, the stack's left out), then
 * sdk/go/common/resource/urn/urn.go `New`: `urn:pulumi:<stack>::<project>::<parentType>$<type>::<name>`.
 * `QualifiedType()` is the URN's third `::` component after the `urn:pulumi:` prefix.
 */
export function resourceUrn(stack: string, project: string, parent: string, type: string, name: string): string {
  const parentType = parent ? (parent.slice("urn:pulumi:".length).split("::")[2] ?? "") : "";
  const qualified = parentType && parentType !== ROOT_STACK_TYPE ? `${parentType}$${type}` : type;
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/**
 * A second registration (or read) of a URN the run has already seen: the engine refuses it and fails the deployment
 * (pkg/resource/deploy/step_generator.go `generateURN`: "if sg.urns[urn] { return "", sg.bailDiag(
 * diag.GetDuplicateResourceURNError(urn), urn) }"), with sdk/go/common/diag/errors.go's message (error 2001).
 */
export class DuplicateUrn extends Error {
  override readonly name = "DuplicateUrn";
  constructor(readonly urn: string) {
    super(`Duplicate resource URN '${urn}'; try giving it a unique name`);
  }
}

/**
 * Drops a resource's aliases before the SDK resolves them. Aliases only let the engine match a resource against the
 * state of an earlier deployment, and the offline preview starts from no state, so they change nothing it records
 * (nothing the engine would send the policy pack or write in an export). They are expensive: every azure-native class
 * declares one alias per other API version of its type (20 to 90), and the SDK turns each into a URN through several
 * Outputs at construction, which was two thirds of the program run's time and memory.
 */
export function withoutAliases(
  args: pulumi.ResourceTransformationArgs,
): pulumi.ResourceTransformationResult | undefined {
  return args.opts.aliases ? { props: args.props, opts: { ...args.opts, aliases: undefined } } : undefined;
}

/**
 * An alias the program declares (not one of the SDK's API-version aliases): a URN, or a spec of what differed (a name,
 * a type, a parent (its URN), no parent (the SDK's `{ parent: undefined }`), another stack or project), each unset
 * part being the resource's own.
 */
export type DeclaredAlias =
  | string
  | {
      readonly name?: string;
      readonly type?: string;
      readonly parent?: string;
      readonly noParent?: boolean;
      readonly stack?: string;
      readonly project?: string;
    };

/** The fields of a Pulumi resource object that give its URN (resource.js: `__pulumiType`, `__name`, its parent). */
interface ResourceLike {
  readonly __pulumiResource?: boolean;
  readonly __pulumiType?: string;
  readonly __name?: string;
  readonly __parentResource?: ResourceLike;
}

/**
 * The URN a resource object registers under, from its type, name and parent chain (resource.js keeps them on the
 * object), or undefined when it lacks them. The root stack's children have no parent prefix (resourceUrn).
 */
export function urnOfResource(res: ResourceLike, stack: string, project: string): string | undefined {
  if (typeof res.__pulumiType !== "string" || typeof res.__name !== "string") return undefined;
  const parent = res.__parentResource ? urnOfResource(res.__parentResource, stack, project) : "";
  return parent === undefined ? undefined : resourceUrn(stack, project, parent, res.__pulumiType, res.__name);
}

/**
 * The program's own aliases of a resource, from its options before `withoutAliases` drops them: every entry but the
 * azure-native classes' other API versions (`{ type: "azure-native:<module>/v…:<Class>" }`). A `parent` given as a
 * resource becomes its URN (`urnOf`); one given as an Output (a URN known only later) is not followed, so
 * `npm run changes` reports that move as a rename.
 */
export function declaredAliases(
  aliases: unknown,
  urnOf: (res: ResourceLike) => string | undefined = () => undefined,
): DeclaredAlias[] {
  if (!Array.isArray(aliases)) return [];
  const out: DeclaredAlias[] = [];
  for (const a of aliases) {
    if (typeof a === "string") {
      out.push(a);
      continue;
    }
    if (a === null || typeof a !== "object") continue;
    const { name, type, parent, stack, project, ...others } = a as Record<string, unknown>;
    // The SDK sends `{ parent: undefined }` as "no parent" (runtime/resource.js mapAliasesForRequest: setNoparent).
    const noParent = Object.prototype.hasOwnProperty.call(a, "parent") && parent === undefined;
    if (Object.keys(others).length > 0) continue;
    // The SDK's own API-version aliases (`azure-native:<module>/vYYYYMMDD…:<Class>`). Its former-module aliases
    // (`azure-native:network:PrivateZone` on `privatedns:PrivateZone`) are kept: they move a resource when an SDK
    // upgrade moves its class, as the real engine does.
    const sdkVersion =
      name === undefined &&
      !Object.prototype.hasOwnProperty.call(a, "parent") &&
      typeof type === "string" &&
      /^azure-native:[^:]+\/v\d{8}/.test(type);
    if (sdkVersion) continue;
    const parentUrn =
      typeof parent === "string"
        ? parent
        : parent !== null && typeof parent === "object" && (parent as ResourceLike).__pulumiResource === true
          ? urnOf(parent as ResourceLike)
          : undefined;
    if (parent !== undefined && parentUrn === undefined) continue; // an Output: not known while the program runs
    const spec = {
      ...(typeof name === "string" ? { name } : {}),
      ...(typeof type === "string" ? { type } : {}),
      ...(parentUrn !== undefined ? { parent: parentUrn } : {}),
      ...(noParent ? { noParent: true } : {}),
      ...(typeof stack === "string" ? { stack } : {}),
      ...(typeof project === "string" ? { project } : {}),
    };
    if (Object.keys(spec).length > 0) out.push(spec);
  }
  return out;
}

/** A URN's parts (resource/urn.go): its qualified type (`Parent$Type`), its type (the last of those) and its name. */
export function urnParts(urn: string): { qualifiedType: string; type: string; name: string } {
  const parts = urn.split("::");
  const qualifiedType = parts[2] ?? "";
  return { qualifiedType, type: qualifiedType.split("$").pop() ?? "", name: parts.slice(3).join("::") };
}
