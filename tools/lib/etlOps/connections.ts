/**
 * The private endpoint connections the stack's managed endpoints make on their targets: which are the stack's (by the
 * endpoint's name), what the drift check reports of them, and their approval after `up`.
 */
import { ADF_API, ARM, findFactory, list, resourceIds, type Az, type StackResources } from "./common";

/** A private endpoint connection on a target, as `az network private-endpoint-connection list` prints it. */
export interface Connection {
  readonly id: string;
  readonly properties: {
    readonly privateEndpoint?: { readonly id?: string };
    readonly privateLinkServiceConnectionState?: { readonly status?: string };
  };
}

/** A managed private endpoint of the factory (REST `managedPrivateEndpoints` list item). */
export interface ManagedEndpoint {
  readonly name: string;
  readonly properties: {
    readonly privateLinkResourceId?: string;
    readonly groupId?: string;
    /** `Succeeded` once Azure has created the endpoint, so its connection is on the target. */
    readonly provisioningState?: string;
  };
}

/** Who owns a connection: the private endpoint's name is `<owner>.<endpoint>` (Data Factory, Synapse). */
export interface Expected {
  /** The target resource id (server, workspace, storage account, Cosmos DB account). */
  readonly targetId: string;
  /** The private endpoint's exact name, or a prefix ending in `.` (every endpoint of that owner). */
  readonly privateEndpointName: string;
  readonly description: string;
  /**
   * Whether the owner's own endpoint exists yet (the factory's reads its managed endpoint's provisioning state): no
   * connection is approved before, so a stranger's endpoint that took the name first is never the only one seen.
   */
  readonly ownerReady?: () => boolean;
}

const peName = (c: Connection) => (c.properties.privateEndpoint?.id ?? "").split("/").pop() ?? "";
const statusOf = (c: Connection) => c.properties.privateLinkServiceConnectionState?.status ?? "";

/** Whether a connection comes from the expected private endpoint (exact name, or `<owner>.` prefix). */
export function isFrom(c: Connection, name: string): boolean {
  const n = peName(c).toLowerCase();
  return name.endsWith(".") ? n.startsWith(name.toLowerCase()) : n === name.toLowerCase();
}

/** Connections of one expectation that still wait for approval. */
export function pendingOf(connections: readonly Connection[], expected: Expected): Connection[] {
  return connections.filter((c) => isFrom(c, expected.privateEndpointName) && statusOf(c) === "Pending");
}

/**
 * The name is all a connection says of its endpoint's owner, and anyone can create a private endpoint of any name
 * to any resource whose id they know, from any subscription or tenant; Azure leaves such a request Pending for the
 * target's owner (MicrosoftDocs/azure-docs#72045). So a name claimed by more than one connection, in any state, is
 * never approved: the problem names every claimant's endpoint id, for a person to approve the stack's own and
 * reject the others. Undefined when at most one pending or approved connection claims it.
 */
export function claimProblem(connections: readonly Connection[], expected: Expected): string | undefined {
  // A rejected or disconnected connection carries no traffic and stays on the target until deleted: not a claimant
  // (else rejecting a stranger's, as the problem says to, would leave the name claimed twice for good).
  const mine = connections.filter(
    (c) => isFrom(c, expected.privateEndpointName) && !["Rejected", "Disconnected"].includes(statusOf(c)),
  );
  if (mine.length <= 1) return undefined;
  return (
    `${expected.description}: ${mine.length} private endpoint connections on ${expected.targetId} claim the name ` +
    `${expected.privateEndpointName}, approved by none of this tool: ` +
    mine
      .map((c) => `${c.id} from ${c.properties.privateEndpoint?.id ?? "?"} (${statusOf(c) || "no state"})`)
      .join("; ") +
    " (approve the stack's own by hand, `az network private-endpoint-connection reject --id <id>` the others)"
  );
}

/** What the drift check reports for one expectation: missing, claimed twice, not approved (rejected, pending). */
export function connectionProblems(connections: readonly Connection[], expected: Expected): string[] {
  const mine = connections.filter((c) => isFrom(c, expected.privateEndpointName));
  if (mine.length === 0)
    return [
      `${expected.description}: no private endpoint connection from ${expected.privateEndpointName} on ${expected.targetId}`,
    ];
  // Two active connections of one full endpoint name: one is not the stack's (a second endpoint of the workspace's
  // prefix under another name, approved by a person, is not a problem).
  const active = mine.filter((c) => !["Rejected", "Disconnected"].includes(statusOf(c)));
  const names = active.map((c) => peName(c).toLowerCase());
  const claimed = names.some((n, i) => names.indexOf(n) !== i)
    ? claimProblem(
        active.filter((c) => names.filter((n) => n === peName(c).toLowerCase()).length > 1),
        expected,
      )
    : undefined;
  // Once one is approved, a rejected or disconnected one of the name (a stranger's, rejected as the claim problem
  // asks) is no problem; with none approved, each is.
  const approved = mine.some((c) => statusOf(c) === "Approved");
  return [
    ...(claimed ? [claimed] : []),
    ...mine
      .filter((c) => statusOf(c) !== "Approved")
      .filter((c) => !approved || !["Rejected", "Disconnected"].includes(statusOf(c)))
      .map((c) => `${expected.description}: ${c.id} is ${statusOf(c) || "in no state"}, not Approved`),
  ];
}

/**
 * The factory's expectations: one per managed private endpoint, from the factory's own list; `provisioned` reads an
 * endpoint's state again (each approval attempt), defaulting to the state in the list.
 */
export function factoryExpectations(
  factoryName: string,
  endpoints: readonly ManagedEndpoint[],
  provisioned: (endpoint: string) => boolean = (name) =>
    endpoints.find((e) => e.name === name)?.properties.provisioningState === "Succeeded",
): Expected[] {
  return endpoints
    .filter((e) => e.properties.privateLinkResourceId)
    .map((e) => ({
      targetId: e.properties.privateLinkResourceId!,
      privateEndpointName: `${factoryName}.${e.name}`,
      description: `Data Factory ${factoryName} managed private endpoint ${e.name} (${e.properties.groupId ?? "?"})`,
      ownerReady: () => provisioned(e.name),
    }));
}

/** Every connection the stack owns: the factory's managed endpoints and the Synapse workspaces' to their lake. */
export function expectations(az: Az, s: StackResources): Expected[] {
  const out: Expected[] = [];
  const factory = findFactory(az, s);
  if (factory) {
    const endpoints = list<ManagedEndpoint>(
      az,
      `${factory.id}/managedVirtualNetworks/default/managedPrivateEndpoints?api-version=${ADF_API}`,
    );
    const endpointsUrl = `${factory.id}/managedVirtualNetworks/default/managedPrivateEndpoints`;
    out.push(
      ...factoryExpectations(
        factory.name,
        endpoints,
        (name) =>
          (
            az(["rest", "--method", "get", "--url", `${ARM}${endpointsUrl}/${name}?api-version=${ADF_API}`]) as {
              properties?: { provisioningState?: string };
            } | null
          )?.properties?.provisioningState === "Succeeded",
      ),
    );
  }
  for (const ws of resourceIds(az, s.dataResourceGroup, "Microsoft.Synapse/workspaces")) {
    const lake = az(["resource", "show", "--ids", ws, "--query", "properties.defaultDataLakeStorage.resourceId"]) as
      string | null;
    const name = ws.split("/").pop()!;
    if (lake)
      out.push({
        targetId: lake,
        privateEndpointName: `${name}.`,
        description: `Synapse workspace ${name} managed VNet (default storage)`,
      });
  }
  return out;
}

export const connectionsOf = (az: Az, targetId: string): Connection[] =>
  (az(["network", "private-endpoint-connection", "list", "--id", targetId]) as Connection[] | null) ?? [];

/**
 * Approves each expectation's pending connections, polling until each has one (a connection appears on the target
 * only once its managed endpoint is provisioned); returns what it approved, throws naming what never appeared. A
 * failed list or approval (a 409 while the connection is still being updated, a throttled call) is logged and tried
 * again on the next attempt, never aborting the others; it is named at the end if it never succeeded.
 */
export async function approveAll(
  az: Az,
  expected: readonly Expected[],
  opts: { readonly attempts: number; readonly delayMs: number; readonly log: (line: string) => void },
): Promise<string[]> {
  const approved: string[] = [];
  const missing: string[] = [];
  const failed: string[] = [];
  const claimed: string[] = [];
  for (const e of expected) {
    let done = false;
    let lastError: string | undefined;
    let ownerNotReady = false;
    for (let attempt = 1; attempt <= opts.attempts && !done; attempt++) {
      try {
        const connections = connectionsOf(az, e.targetId);
        const active = connections.filter(
          (c) => isFrom(c, e.privateEndpointName) && !["Rejected", "Disconnected"].includes(statusOf(c)),
        );
        const pending = active.filter((c) => statusOf(c) === "Pending");
        // Once one of the name (or of the workspace's prefix) is approved, the stack's own has been: a pending one
        // besides it is a stranger's or one made by hand, left to a person (a warning, and the drift check's
        // report), never approved and never a reason to fail the deploy (else anyone who knows the target's id could
        // stop every deploy with one pending connection).
        if (active.some((c) => statusOf(c) === "Approved")) {
          for (const c of pending)
            opts.log(
              `::warning::${e.description}: ${c.id} from ${c.properties.privateEndpoint?.id ?? "?"} is Pending beside the approved one: not approved; a person approves or rejects it`,
            );
          done = true;
          break;
        }
        // None approved yet: two claimants cannot be told apart, so neither is approved (the problem names both).
        const claim = pending.length > 0 ? claimProblem(connections, e) : undefined;
        if (claim !== undefined) {
          claimed.push(claim);
          done = true;
          break;
        }
        // Nothing is approved before the owner's own endpoint exists (then a stranger's would be a second claimant).
        ownerNotReady = active.length > 0 && !(e.ownerReady?.() ?? true);
        const seen = active.length > 0 && !ownerNotReady;
        for (const c of seen ? pending : []) {
          az([
            "network",
            "private-endpoint-connection",
            "approve",
            "--id",
            c.id,
            "--description",
            e.description.slice(0, 140),
          ]);
          approved.push(c.id);
          opts.log(`approved ${c.id} from ${c.properties.privateEndpoint?.id ?? "?"} (${e.description})`);
        }
        done = seen;
        lastError = undefined;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
        opts.log(`${e.description}: ${lastError} (attempt ${attempt} of ${opts.attempts})`);
      }
      if (!done && attempt < opts.attempts) await new Promise((r) => setTimeout(r, opts.delayMs));
    }
    if (done) continue;
    if (lastError !== undefined) failed.push(`${e.description}: ${lastError}`);
    else if (ownerNotReady)
      missing.push(
        `${e.description}: a connection of ${e.privateEndpointName} is on ${e.targetId}, but the factory never reported its endpoint Succeeded (its provisioning state)`,
      );
    else missing.push(`${e.description}: no connection from ${e.privateEndpointName} on ${e.targetId}`);
  }
  const problems = [
    ...(claimed.length > 0 ? [`not approved (a name claimed twice):\n${claimed.join("\n")}`] : []),
    ...(missing.length > 0 ? [`not approved (never appeared):\n${missing.join("\n")}`] : []),
    ...(failed.length > 0 ? [`not approved (Azure kept failing):\n${failed.join("\n")}`] : []),
  ];
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return approved;
}
