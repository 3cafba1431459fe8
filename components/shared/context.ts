/**
 * What every tier needs from the stack's config to name and tag its resources: a small immutable context built
 * once in index.ts, so no tier re-reads config or rebuilds names by hand.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../../lib/config";
import { isGloballyUnique, resourceName, SUFFIX_LENGTH, type NameContext, type ResourceKind } from "../../lib/naming";
import { tagsFor, type TagOptions } from "../../lib/tags";

export interface StackContext {
  readonly config: PlatformConfig;
  readonly naming: NameContext;
  /** Name in the primary region (`location` overrides it for the secondary region). */
  name(kind: ResourceKind, qualifier?: string, location?: string): string;
  /** Globally unique name: the stack's random suffix appended (validated at plan time with a placeholder). */
  globalName(
    kind: ResourceKind,
    suffix: pulumi.Output<string>,
    qualifier?: string,
    location?: string,
  ): pulumi.Output<string>;
  tags(opts: TagOptions): Record<string, string>;
}

export function stackContext(config: PlatformConfig): StackContext {
  const naming: NameContext = { workload: config.workload, environment: config.environment, location: config.location };
  const at = (location?: string): NameContext => (location ? { ...naming, location } : naming);
  return {
    config,
    naming,
    name: (kind, qualifier, location) => resourceName(kind, at(location), { qualifier }),
    globalName: (kind, suffix, qualifier, location) => {
      if (!isGloballyUnique(kind)) throw new Error(`${kind} names are not global; use name()`);
      // Fail at plan time, not at apply time, when the suffixed name would break Azure's rules.
      resourceName(kind, at(location), { qualifier, suffix: "0".repeat(SUFFIX_LENGTH) });
      return suffix.apply((s) => resourceName(kind, at(location), { qualifier, suffix: s }));
    },
    tags: (opts) =>
      tagsFor(
        {
          environment: config.environment,
          owner: config.owner,
          costCenter: config.costCenter,
          extra: config.extraTags,
        },
        opts,
      ),
  };
}
