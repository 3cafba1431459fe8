/**
 * What the mocks share: the ids of the mock tenant, subscription and deployer, an entry's shape (ArmSpec) and what its
 * outputs may read (MockContext), the GUIDs they derive.
 */
import { uuidv5 } from "../../../lib/uuid";

export const SUBSCRIPTION_ID = "00000000-0000-4000-8000-000000000001";
export const TENANT_ID = "00000000-0000-4000-8000-0000000000aa";
export const DEPLOYER_OBJECT_ID = "00000000-0000-4000-8000-0000000000bb";

export type Inputs = Record<string, unknown>;

export interface ArmSpec {
  /**
   * Path after the scope, e.g. `Microsoft.KeyVault/vaults/{vaultName}/keys/{keyName}`. `{…}` names an input;
   * the resource's logical name stands in for a missing one.
   */
  readonly path: string;
  /** Where the id is rooted: the resource group (default), the subscription, or the `scope`/`resourceUri` input. */
  readonly root?: "resourceGroup" | "subscription" | "scope" | "resourceUri" | "none" | "scopeId";
  /** Outputs Azure computes. */
  readonly outputs?: (inputs: Inputs, ctx: MockContext) => Inputs;
}

/** What a resource's computed outputs may depend on: its own id and names, and the state of the run's other resources. */
export interface MockContext {
  readonly id: string;
  readonly name: string;
  readonly urn: string;
  /** The state the mock gave an earlier resource of the run, by ARM id (case-insensitive), if any. */
  readonly lookup: (id: string) => Inputs | undefined;
}

export const guidFor = (seed: string) => uuidv5(seed);
