/**
 * The ETL tier's arguments and their checks (before anything registers): the stores the factory reaches, the
 * generated definitions and the global parameter values they read, the off-hours targets. The component is index.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  ADF_DEPLOYMENT_LINKED_SERVICES,
  ADF_INTEGRATION_RUNTIME,
  ADF_LINKED_SERVICES,
  OFF_HOURS_TARGETS,
  type AdfDefinitions,
  type OffHoursTarget,
} from "../../pipelines/etl/contract";
import { OFF_HOURS_PARAMETER } from "../../pipelines/etl/names";
import { offHoursProblems, type OffHoursArgs, type OffHoursTargetSpec } from "./offHours";
import type { EtlConfig } from "../../lib/config";
import { type DataServiceArgs, type StackContext } from "../shared";
import { checkDefinitions, checkGlobalParameterValue } from "./definitions";
import { IDENTITY_QUALIFIERS, type LinkedServiceTargets, type ManagedEndpointTarget } from "./settings";

/** A store the factory reaches through a managed private endpoint. */
export interface ManagedEndpointSpec {
  /** Resource id of the target (SQL server, Synapse workspace, storage account, Cosmos DB account). */
  readonly resourceId: pulumi.Input<string>;
  /**
   * What must be done on the target first: the endpoint adds a private endpoint connection to it, and Storage,
   * Synapse and Cosmos DB run one operation at a time per resource (a concurrent one fails with a conflict or 412).
   * Passing the target's component covers its children registered later too.
   */
  readonly after?: readonly pulumi.Resource[];
}

export interface EtlArgs extends DataServiceArgs {
  /** The validated `etl` section of the stack config. */
  readonly etl: EtlConfig;
  /** Where the linked services point. */
  readonly targets: LinkedServiceTargets;
  /** The stores reached through managed private endpoints (`oltpSqlSecondary` only with a failover group). */
  readonly managedEndpoints: Readonly<Partial<Record<ManagedEndpointTarget, ManagedEndpointSpec>>>;
  /** The generated pipelines, datasets, triggers and the global parameters they read; absent = the factory only. */
  readonly definitions?: AdfDefinitions;
  /** A value for every global parameter the definitions declare (names and types from the definitions). */
  readonly globalParameterValues?: Readonly<Record<string, pulumi.Input<string | number | boolean>>>;
  /**
   * Object id of the Entra group that administers the OLTP server and the Synapse SQL (the database admins, not the
   * platform admins who hold the keys): the deployment identity joins it, so the schema deployment pipeline can
   * apply the generated SQL (CDC setup, users).
   */
  readonly sqlAdminGroupObjectId: pulumi.Input<string>;
  /**
   * What the pool's pause schedule also stops outside working hours (`olap.pauseSchedule.alsoStop`, dev): its targets
   * must be the definitions' off-hours targets. Sets their global parameters, grants the ETL identity a stop/start
   * role on each, and silences the alerts a stopped target fires (components/etl/offHours.ts).
   */
  readonly offHours?: OffHoursArgs;
}

/**
 * Azure name of one of the factory's user-assigned identities. The ETL identity's is also its Entra display name,
 * hence the database user the generated SQL creates (`EtlPrincipalName`, global parameter `etlPrincipalName`).
 */
export function etlIdentityName(context: StackContext, which: keyof typeof IDENTITY_QUALIFIERS = "etl"): string {
  return context.name("userAssignedIdentity", IDENTITY_QUALIFIERS[which]);
}

/** Checks the arguments before anything is registered; throws naming the argument. */
export function validateEtlArgs(args: EtlArgs): void {
  const problems: string[] = [];
  if (args.lock?.kind === "ReadOnly") {
    problems.push(
      "lock: a ReadOnly lock blocks publishing pipelines and starting triggers; leave the factory unlocked (a lock also blocks removing its children)",
    );
  }
  for (const required of ["oltpSql", "warehouseSql", "lakeDfs", "lakeBlob", "cosmosSql"] as const) {
    if (!args.managedEndpoints[required])
      problems.push(`managedEndpoints.${required} is required (a store the linked services reach)`);
  }
  const defs = args.definitions;
  if (defs) {
    try {
      checkDefinitions(defs, PROVIDED);
    } catch (e) {
      problems.push(`definitions: ${(e as Error).message}`);
    }
    const values = globalParameterValuesOf(args);
    for (const [name, spec] of Object.entries(defs.globalParameters)) {
      const problem = checkGlobalParameterValue(name, spec.type, values[name]);
      if (problem) problems.push(`globalParameterValues: ${problem}`);
    }
    for (const name of Object.keys(values)) {
      if (!(name in defs.globalParameters))
        problems.push(`globalParameterValues: '${name}' is not read by any definition`);
    }
    const stopped = offHoursTargets(defs);
    const given = Object.keys(args.offHours?.targets ?? {}) as OffHoursTarget[];
    if ([...stopped].sort().join() !== [...given].sort().join())
      problems.push(
        `offHours.targets: must be exactly the definitions' off-hours targets (${stopped.join(", ") || "none"}), got ${given.join(", ") || "none"}`,
      );
  } else if (args.globalParameterValues && Object.keys(args.globalParameterValues).length > 0) {
    problems.push("globalParameterValues: given without definitions");
  }
  if (args.offHours) problems.push(...offHoursProblems(args.offHours));
  if (problems.length > 0) throw new Error(`Etl: ${problems.join("; ")}`);
}

/** The off-hours targets the definitions stop: those whose global parameter they declare. */
export function offHoursTargets(defs: AdfDefinitions): OffHoursTarget[] {
  return OFF_HOURS_TARGETS.filter((t) => OFF_HOURS_PARAMETER[t] in defs.globalParameters);
}

/** The global parameter values: the stack's, plus each off-hours target's resource id. */
export function globalParameterValuesOf(
  args: EtlArgs,
): Readonly<Record<string, pulumi.Input<string | number | boolean>>> {
  const targets = Object.entries(args.offHours?.targets ?? {}) as [OffHoursTarget, OffHoursTargetSpec][];
  return {
    ...(args.globalParameterValues ?? {}),
    ...Object.fromEntries(targets.map(([t, spec]) => [OFF_HOURS_PARAMETER[t], spec.resourceId])),
  };
}

/** What the factory provides to the definitions: the linked services and the integration runtime, by name. */
export const PROVIDED = {
  linkedServices: [...Object.values(ADF_LINKED_SERVICES), ...Object.values(ADF_DEPLOYMENT_LINKED_SERVICES)],
  integrationRuntimes: [ADF_INTEGRATION_RUNTIME],
};
