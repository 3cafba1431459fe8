/**
 * Reading what is deployed before changing it: a missing resource reads as none, and a setting Azure takes only when
 * it creates a resource is compared with the stack config before the resource registers, so that `pulumi preview`
 * (the pull request's, and prod's before its approval) refuses the change with the config key named instead of
 * showing an update Azure would refuse. A plain `pulumi up` fails in its own preview and changes nothing; an `up`
 * that skips its preview (`--skip-preview`, as pulumi/actions' `up` passes) stops only that resource and what waits
 * on it and applies the rest, as with any error in the program.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../../lib/config";

/**
 * A missing resource, as azure-native's invokes report it: the engine rejects with "invocation of <token> returned an
 * error: request failed <id>: Status=404 Code=\"ResourceNotFound\" ..." (provider.go Invoke, client_azcore.go).
 *
 * A subscription not registered for the resource's provider holds none of its resources either (a provider cannot be
 * unregistered while its resources exist): a new subscription's first preview, before `npm run providers -- register`.
 * Azure answers 409 `MissingSubscriptionRegistration`; azure-native's client is azcore's ARM pipeline, whose
 * registration policy (on unless the client turns it off: azcore arm/runtime policy_register_rp.go) registers the
 * provider itself and asks again, so the read may end in a 404 instead when the login may register it (the deploy
 * identity), or in the failure of that registration's `POST …/providers/<namespace>/register` when it may not (a
 * Reader preview identity): all three read as nothing deployed. Anything else (authorization, throttling, network) is a real failure and stops the
 * program.
 */
export function isNotFound(error: unknown): boolean {
  const text = String(error);
  return (
    /\b(ResourceNotFound|ResourceGroupNotFound|ParentResourceNotFound|RoleAssignmentNotFound|MissingSubscriptionRegistration)\b|\bStatus=404\b/.test(
      text,
    ) || /\bPOST \S*\/subscriptions\/[^/\s]+\/providers\/[^/\s]+\/register\b/.test(text)
  );
}

/** The read's answer, or undefined when Azure reports the resource (or its group or parent) missing. */
export async function deployedOrNone<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * A read that only guards a change (a safety net before a refusal or a warning): when it fails for any other reason than
 * the resource missing (authorization, throttling past the retries, network), the preview warns, naming what was not
 * compared and the command that checks it by hand, and goes on without it, never ends the deploy. `warning` gets the
 * error's text.
 */
export async function readOrWarn<T>(
  read: () => Promise<T>,
  warning: (error: string) => string,
  resource: pulumi.Resource,
): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    void pulumi.log.warn(warning(String(error)), resource);
    return undefined;
  }
}

/** A setting Azure takes only at creation whose stack config value differs from the deployed resource's. */
export interface CreationOnlyConflict {
  /** The stack config key (`cosmos.serverless`). */
  readonly key: string;
  /** The deployed resource's value, as the config spells it. */
  readonly deployed: string;
  /** The stack config's value. */
  readonly wanted: string;
  /** What the operator can do instead (set it back, or how to get a resource with the new value). */
  readonly remedy: string;
  /**
   * `refused`: not creation-only, but a change Azure refuses as the program would send it (a one-way tier, an order
   * Azure wants the other way round); the message says so. `advised`: Azure takes it, but Microsoft advises another
   * order (a warning of the preview, not an error). Default: creation-only.
   */
  readonly kind?: "creation-only" | "refused" | "advised";
}

/** The error of a preview or `up` that would change creation-only settings: every key, in one message. */
export function creationOnlyMessage(resource: string, conflicts: readonly CreationOnlyConflict[]): string {
  const creationOnly = conflicts.every((c) => (c.kind ?? "creation-only") === "creation-only");
  return [
    creationOnly
      ? `the stack config changes ${conflicts.length === 1 ? "a setting" : "settings"} Azure takes only when it creates ${resource}:`
      : `the stack config asks for ${conflicts.length === 1 ? "a change" : "changes"} Azure refuses on ${resource} as the program would send ${conflicts.length === 1 ? "it" : "them"}:`,
    ...conflicts.map(
      (c) => `  ${c.key}: the deployed value is ${c.deployed}, the stack config asks for ${c.wanted}. ${c.remedy}`,
    ),
  ].join("\n");
}

/** How to read a resource and which of its creation-only settings the stack config would change. */
export interface CreationOnlyCheck<T, D> {
  /** What the message calls the resource (`the Cosmos DB account 'cosmos-…'`). */
  readonly resource: (value: T) => string;
  /** The deployed resource, or undefined when there is none (deployedOrNone). */
  readonly read: (value: T) => Promise<D | undefined>;
  readonly conflicts: (deployed: D, value: T) => readonly CreationOnlyConflict[];
}

/**
 * A creation-only change: a config error (the offline tools report it as one, exit 2) that the CLI prints as a
 * `pulumi.RunError`, without the program's stack (cmd/run/run.js uncaughtHandler checks `RunError.isInstance`, i.e.
 * this marker). Thrown where the resource's input is serialised, so the SDK puts `error serializing property
 * "<input>": ` before the message (runtime/rpc.js).
 */
export class CreationOnlyError extends ConfigError {
  readonly __pulumiRunError = true;
}

/** `value` when the deployed resource it names is missing or agrees with the stack config; a CreationOnlyError otherwise. */
export async function checkCreationOnly<T, D>(value: T, check: CreationOnlyCheck<T, D>): Promise<T> {
  const deployed = await check.read(value);
  const found = deployed === undefined ? [] : check.conflicts(deployed, value);
  for (const c of found.filter((x) => x.kind === "advised"))
    pulumi.log.warn(
      `${check.resource(value)}: ${c.key}: the deployed value is ${c.deployed}, the stack config asks for ${c.wanted}. ${c.remedy}`,
    );
  const conflicts = found.filter((c) => c.kind !== "advised");
  if (conflicts.length > 0) throw new CreationOnlyError([creationOnlyMessage(check.resource(value), conflicts)]);
  return value;
}

/**
 * `value` once the resource it names has been read from Azure and its creation-only settings compared with the stack
 * config (checkCreationOnly). Give the result to the resource as an input (its name), so that it registers only after
 * the check: a preview fails instead of showing an update Azure would refuse, and an `up` never sends it. Nothing
 * deployed (a new stack, or the resource not created yet) passes. While `value` is unknown (a first preview: names
 * with random suffixes) nothing is read, as nothing can be deployed under that name.
 */
export function afterCreationOnlyCheck<T, D>(
  value: pulumi.Output<T>,
  check: CreationOnlyCheck<T, D>,
): pulumi.Output<T> {
  return value.apply((v) => checkCreationOnly(v, check));
}
