/**
 * The offline engine: runs the real program (index.ts) under Pulumi's mock monitor, with the stack's config,
 * and records every registration the way the real engine sees it (type, name, URN, parent, dependencies,
 * property dependencies, inputs, protect), plus the stack outputs. Secret values are tracked so no output of
 * the tools ever prints them. By concern: the run (run.ts), the values it passes (values.ts), URNs and aliases
 * (urns.ts), custom timeouts (timeouts.ts), how a run ends (progress.ts), the SDK made lighter (sdk.ts).
 */
export * from "./progress";
export { lazyTransferProperties, leanDebuggablePromise } from "./sdk";
export * from "./run";
export * from "./timeouts";
export {
  declaredAliases,
  DuplicateUrn,
  resourceUrn,
  ROOT_STACK_TYPE,
  urnOfResource,
  urnParts,
  type DeclaredAlias,
} from "./urns";
export {
  scrub,
  SECRET_SIG,
  SECRET_SIG_VALUE,
  structKeys,
  structObject,
  structStandIn,
  structValue,
  UNKNOWN,
  unwrap,
} from "./values";
