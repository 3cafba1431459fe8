/**
 * What the runner reads and answers: the resource record, the pack config's shape, the policies' descriptions, the
 * violations and verdicts, a run's options.
 */
import type { EnforcementLevel, Severity } from "@pulumi/policy";
import type { ExemptionRecord } from "../../../policies/lib/exemptions";

/** One resource as registered (offline preview) or as exported (`pulumi stack export`). */
export interface ResourceRecord {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly id?: string;
  readonly parent?: string;
  readonly dependencies: readonly string[];
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
  /** Inputs with secrets unwrapped (policies see plaintext, as under the engine); unknowns as sentinels. */
  readonly inputs: Record<string, unknown>;
  readonly outputs: Record<string, unknown>;
  readonly protect: boolean;
  readonly provider?: string;
  /** Property paths whose value is secret. */
  readonly secretKeys?: readonly string[];
  /** Output property paths whose value is secret. */
  readonly secretOutputKeys?: readonly string[];
  readonly ignoreChanges?: readonly string[];
  readonly replaceOnChanges?: readonly string[];
  /** The resource is left in Azure when Pulumi deletes it (`retainOnDelete`). */
  readonly retainOnDelete?: boolean;
  /** `customTimeouts` in seconds, as the CLI keeps them (resource.CustomTimeouts; a zero is left out). */
  readonly customTimeouts?: {
    readonly create?: number;
    readonly update?: number;
    readonly delete?: number;
    readonly read?: number;
  };
  /**
   * A replacement deletes the old resource before creating the new one (`deleteBeforeReplace`); present when the
   * program set it, true or false.
   */
  readonly deleteBeforeReplace?: boolean;
  /** Outputs the program asked to keep secret (`additionalSecretOutputs`), as the state records them. */
  readonly additionalSecretOutputs?: readonly string[];
  /**
   * The URNs the program's own aliases name, and those inherited from its parent's (a resource renamed or moved keeps
   * its Azure resource through them); not the SDK's type aliases, which the offline engine drops. A real state drops
   * aliases once URNs are normalised; the offline export keeps them for `npm run changes`.
   */
  readonly aliases?: readonly string[];
  /** The URN of the resource whose deletion deletes this one (`deletedWith`: Pulumi then skips its own delete). */
  readonly deletedWith?: string;
  /** URNs of the resources whose replacement replaces this one too (`replaceWith`). */
  readonly replaceWith?: readonly string[];
}

export type PolicyConfigValue = EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>);
/** Same shape as the file given to `pulumi preview --policy-pack-config`. */
export type PackConfig = Record<string, PolicyConfigValue>;

export interface PolicyInfo {
  readonly name: string;
  readonly description: string;
  readonly kind: "resource" | "stack";
  readonly enforcementLevel: EnforcementLevel;
  readonly severity?: Severity;
  readonly framework?: { name: string; version: string; reference: string; specification: string };
  readonly tags?: readonly string[];
  readonly remediationSteps?: string;
  readonly url?: string;
}

export interface Violation {
  readonly policy: string;
  readonly enforcementLevel: EnforcementLevel;
  readonly severity?: Severity;
  readonly urn?: string;
  readonly message: string;
}

export interface Verdict {
  readonly stack?: string;
  readonly resourceCount: number;
  readonly policies: readonly PolicyInfo[];
  readonly violations: readonly Violation[];
  readonly exemptions: readonly ExemptionRecord[];
  /** Per policy: how many resources it applied to (was evaluated on without being marked not applicable). */
  readonly evaluated: Readonly<Record<string, number>>;
}

export interface RunOptions {
  readonly config?: PackConfig;
  readonly packEnforcementLevel?: EnforcementLevel;
  readonly stackTags?: ReadonlyMap<string, string>;
  readonly stack?: string;
  /** The pack's name and version, named in "can't run during preview" messages as the analyzer server does. */
  readonly pack?: { readonly name: string; readonly version: string };
  /**
   * The next policy this call evaluates (its index in the pack), for one view evaluated by two threads at once
   * (tools/lib/deployedView/): each calls `runPolicies` with a `take` off a queue they share, so that the thread
   * free first takes more, and `mergeVerdicts` puts the parts together. An index past the pack's end stops. Without
   * it: every policy, in the pack's order.
   */
  readonly take?: () => number;
  /**
   * The config was validated by the caller (the thread that shares this evaluation out): the per-setting checks still
   * run, the full JSON Schema pass (Ajv, ~40 ms to load in a fresh thread) does not.
   */
  readonly configValidated?: boolean;
}
