/**
 * The ML tier's arguments and their check, and the names other tiers need before the component exists (the feature
 * store's private-endpoint rule, the Cosmos DB first-party app the workspace's key is granted to). The component is
 * index.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import type { MlConfig } from "../../lib/config";
import type { LinkToMonitorScope } from "../shared/functionApp";
import type { AlertRouting } from "../operations/routing";
import { type DataServiceArgs, type RoleAssignmentSpec } from "../shared";

/** The managed network's user-defined private-endpoint rule to the Cosmos DB account of `fraud_features`. */
export const FEATURE_STORE_RULE = "fraud-features-cosmos";

/**
 * Application (client) id of the Azure Cosmos DB first-party service in Azure public cloud. Without service-side
 * encryption, Azure ML keeps workspace metadata in a Cosmos DB account of a Microsoft-managed resource group that
 * encrypts with our key through this principal (how-to-setup-customer-managed-keys, "Allow Azure Cosmos DB to access
 * the key").
 */
export const COSMOS_DB_FIRST_PARTY_APP_ID = "a232010e-820c-4083-83bb-3ace5fc29d0b";

/** An identity allowed to call the fraud-scoring endpoint. */
export interface ScoringPrincipal {
  /** Stable kebab-case key used in logical names (e.g. `ingestion-scorer`). */
  readonly key: string;
  readonly principalId: pulumi.Input<string>;
  readonly principalType?: RoleAssignmentSpec["principalType"];
}

export interface MlArgs extends DataServiceArgs {
  /** The validated `ml` section of the stack config (cluster and endpoint sizes). */
  readonly ml: MlConfig;
  /** Id of the tier's resource group (the custom scoring role is assignable there). */
  readonly resourceGroupId: pulumi.Input<string>;
  readonly tenantId: pulumi.Input<string>;
  /**
   * Joins a resource to the platform's Azure Monitor Private Link Scope (PrivateOnly), one link at a time
   * (`platform.linkToMonitorScope`): the Application Insights component joins it.
   */
  readonly linkToMonitorScope: LinkToMonitorScope;
  /** The Cosmos DB account holding `fraud_features`: the managed network gets a private endpoint to it. */
  readonly featureStore: {
    readonly accountId: pulumi.Input<string>;
    /** What must finish before the workspace adds its private endpoint to the account (e.g. the NoSQL tier). */
    readonly after?: readonly pulumi.Resource[];
  };
  /** The platform's action groups per priority: the workspace vault's expiry events route by severity. */
  readonly alertRouting: AlertRouting;
  /** Entra group that administers the workspace's key vault (Key Vault Administrator), e.g. the platform admins. */
  readonly keyVaultAdminsGroupId: pulumi.Input<string>;
  /**
   * Entra group of the fraud/ML team: AzureML Data Scientist on the workspace without its network (a custom role:
   * no compute, workspace or managed-network admin, no private endpoint approval).
   */
  readonly dataScientistsGroupId?: pulumi.Input<string>;
  /** Identities that may call the scoring endpoint (custom role with `score/action` only, on the endpoint). */
  readonly scoringPrincipals?: readonly ScoringPrincipal[];
}

/** Checks the arguments before any child resource is registered; throws naming the argument. */
export function validateMlArgs(args: Pick<MlArgs, "scoringPrincipals">): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const p of args.scoringPrincipals ?? []) {
    if (!/^[a-z][a-z0-9-]{0,40}$/.test(p.key)) problems.push(`scoringPrincipals: key '${p.key}' must be kebab-case`);
    if (seen.has(p.key)) problems.push(`scoringPrincipals: key '${p.key}' is used twice`);
    seen.add(p.key);
  }
  if (problems.length > 0) throw new Error(`Ml: ${problems.join("; ")}`);
}
