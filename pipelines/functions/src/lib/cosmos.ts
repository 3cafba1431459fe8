/**
 * Cosmos DB point reads, conditional writes and creates over its REST API with Entra tokens (hierarchical partition
 * keys), each call within its own time and the invocation's deadline.
 */
import { DeadlineError, discard, leftOf, type Fetch, type ManagedIdentityTokens } from "./identity";

/**
 * The REST API version of every Cosmos DB call: the one Microsoft's JavaScript SDK sends with all its requests
 * (`Constants.CurrentVersion` in @azure/cosmos 4.x, the SDK that writes hierarchical partition keys). The REST
 * reference documents versions up to 2018-12-31 only, which predate hierarchical partition keys (webhook_events is
 * partitioned by [/merchantId, /id]).
 */
export const COSMOS_API_VERSION = "2020-07-15";

/**
 * The `x-ms-documentdb-partitionkey` header: the item's partition key values as a JSON array, one value per level of
 * a hierarchical key, characters outside ASCII escaped as the SDK does (`jsonStringifyAndEscapeNonASCII`; a header
 * carries bytes, not UTF-8 text).
 */
export function partitionKeyHeader(partitionKey: string | readonly string[]): string {
  const values = typeof partitionKey === "string" ? [partitionKey] : [...partitionKey];
  return JSON.stringify(values).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** `https://acct.documents.azure.com:443/` → the Entra resource `https://acct.documents.azure.com`. */
export function cosmosResource(endpoint: string): string {
  const u = new URL(endpoint);
  return `${u.protocol}//${u.hostname}`;
}

/** Attempts of a point read that Cosmos DB throttles (429), each after the wait it asks for (at most 1 s). */
export const READ_ATTEMPTS = 4;

/**
 * The longest one Cosmos DB call may take (a point read or write answers in milliseconds). Without it a stalled
 * connection would hold the call for Node's default header timeout (300 s), far past the host's 30 s function
 * timeout. A call that runs out of time answers 408 and is tried again like the service's own 408: safe for every
 * call here, a repeated create answering 409 and a repeated replace 412. A call still has READ_ATTEMPTS tries, about
 * 11 s when every one times out, and a card write several calls: the scorer bounds the whole batch with a deadline
 * (`CosmosTarget.deadline`).
 */
export const COSMOS_CALL_TIMEOUT_MS = 2_000;

/**
 * Where a Cosmos DB call goes: the account, database and container, and optionally the invocation's deadline (epoch
 * ms, `Date.now()`'s clock). With a deadline, no call starts after it, none runs past it, and no retry waits beyond it:
 * each call's own limits (COSMOS_CALL_TIMEOUT_MS, READ_ATTEMPTS) add up to more than a batch has when every call is
 * slow, and a function that overruns the host's timeout is ended with its worker (every other invocation in that
 * process fails too).
 */
export interface CosmosTarget {
  readonly endpoint: string;
  readonly database: string;
  readonly container: string;
  readonly deadline?: number;
}

/** Statuses whose response has no body (a Response built with one throws). */
const NULL_BODY_STATUSES = [101, 103, 204, 205, 304];

/**
 * A Cosmos DB call with its deadline; running out of time answers 408 (Request Timeout), as the service would. The
 * answer's body is read within the same time (the call's signal covers it too): a body that stalls after the headers
 * came is a timed-out call like any other, not a raw TimeoutError thrown later where the caller reads the body.
 */
async function cosmosCall(fetchFn: Fetch, url: string, init: RequestInit, deadline?: number): Promise<Response> {
  const left = leftOf(deadline);
  if (left <= 0) throw new DeadlineError(`Cosmos DB call to ${new URL(url).pathname}`);
  const budget = Math.min(COSMOS_CALL_TIMEOUT_MS, left);
  try {
    const res = await fetchFn(url, { ...init, signal: AbortSignal.timeout(budget) });
    const body = NULL_BODY_STATUSES.includes(res.status) ? null : await res.arrayBuffer();
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  } catch (err) {
    if ((err as Error).name === "TimeoutError") {
      // Cut by the invocation's deadline rather than the call's own limit: nothing is left to try again with.
      if (budget < COSMOS_CALL_TIMEOUT_MS) throw new DeadlineError(`Cosmos DB call to ${new URL(url).pathname}`);
      return new Response(null, { status: 408, statusText: "client deadline" });
    }
    throw err;
  }
}

/**
 * A 404 that means the item does not exist (no substatus, or 0). Cosmos DB also answers 404 when the container or
 * database is missing (substatus 1003, OwnerResourceNotFound) or a replica lags the session (1002,
 * ReadSessionNotAvailable) (Azure/azure-cosmos-dotnet-v3, SubStatusCodes in StatusCodes.cs); neither may read as "no
 * item" (a feature refresh would start over as a first run, a card would be counted from nothing).
 */
function itemNotFound(res: Response): boolean {
  const substatus = res.headers.get("x-ms-substatus");
  return res.status === 404 && (substatus === null || substatus === "0");
}

/**
 * Point-reads an item by id and partition key with an Entra token; undefined when it does not exist. A throttled
 * read (429) is tried again after `x-ms-retry-after-ms`, and one that ran out of time (408) after a moment, up to
 * READ_ATTEMPTS times.
 */
export async function readItem<T>(
  fetchFn: Fetch,
  tokens: Pick<ManagedIdentityTokens, "token">,
  target: CosmosTarget,
  id: string,
  partitionKey: string,
): Promise<T | undefined> {
  const base = cosmosResource(target.endpoint);
  const path = `dbs/${encodeURIComponent(target.database)}/colls/${encodeURIComponent(target.container)}/docs/${encodeURIComponent(id)}`;
  for (let attempt = 1; ; attempt++) {
    // Before the token too; a refresh (up to TOKEN_TIMEOUT_MS) is waited for no later than the deadline.
    if (leftOf(target.deadline) <= 0) throw new DeadlineError(`Cosmos DB call to ${target.container}`);
    const token = await tokens.token(base, target.deadline);
    const res = await cosmosCall(
      fetchFn,
      `${base}/${path}`,
      {
        headers: {
          Authorization: encodeURIComponent(`type=aad&ver=1.0&sig=${token}`),
          "x-ms-date": new Date().toUTCString(),
          "x-ms-version": COSMOS_API_VERSION,
          "x-ms-documentdb-partitionkey": partitionKeyHeader(partitionKey),
        },
      },
      target.deadline,
    );
    if (itemNotFound(res)) {
      await discard(res);
      return undefined;
    }
    const wait = Math.min(1000, Number(res.headers.get("x-ms-retry-after-ms") ?? 100) || 100);
    if ((res.status === 429 || res.status === 408) && attempt < READ_ATTEMPTS) {
      await discard(res);
      // Not tried again only because the deadline leaves no time for it: say so.
      if (wait >= leftOf(target.deadline))
        throw new DeadlineError(`Cosmos DB read of ${target.container}/${id} answered ${res.status}`);
      await new Promise((resolve) => setTimeout(resolve, wait));
      continue;
    }
    if (!res.ok) {
      await discard(res);
      throw new Error(`Cosmos DB read of ${target.container}/${id} answered ${res.status}`);
    }
    return (await res.json()) as T;
  }
}

/** Cosmos DB's system properties: never sent back in a write. */
const SYSTEM_PROPERTIES = ["_rid", "_self", "_etag", "_attachments", "_ts"];

/**
 * Writes an item only if nobody changed it since it was read (optimistic concurrency,
 * learn.microsoft.com/azure/cosmos-db/nosql/database-transactions-optimistic-concurrency): with the `_etag` of the
 * read, a replace (`PUT …/docs/{id}`, `If-Match`) that Cosmos DB refuses with 412 when the item changed; without one
 * (the item did not exist), a create (`POST …/docs`, no upsert) that it refuses with 409 when someone created it
 * first. Either refusal is `"conflict"`: read again and re-apply. A throttled or transient answer (429, 449, 408, 503)
 * is tried again like a throttled read.
 */
export async function writeItem(
  fetchFn: Fetch,
  tokens: Pick<ManagedIdentityTokens, "token">,
  target: CosmosTarget,
  item: { readonly id: string },
  partitionKey: string | readonly string[],
  etag: string | undefined,
): Promise<"written" | "conflict"> {
  // A conflict after an unanswered attempt may be another writer's as well as this one's: the caller reads again.
  const outcome = await sendItem(
    fetchFn,
    tokens,
    target,
    item,
    partitionKey,
    etag ? { replaceIfMatch: etag } : "create",
  );
  return outcome === "written" ? "written" : "conflict";
}

/**
 * Creates or replaces an item whatever it holds (`POST …/docs` with `x-ms-documentdb-is-upsert: True`, as the Cosmos
 * DB output binding writes): for an item with one writer only. Throttled and transient answers are tried again as in
 * `writeItem`.
 */
export async function upsertItem(
  fetchFn: Fetch,
  tokens: Pick<ManagedIdentityTokens, "token">,
  target: CosmosTarget,
  item: { readonly id: string },
  partitionKey: string | readonly string[],
): Promise<void> {
  await sendItem(fetchFn, tokens, target, item, partitionKey, "upsert");
}

async function sendItem(
  fetchFn: Fetch,
  tokens: Pick<ManagedIdentityTokens, "token">,
  target: CosmosTarget,
  item: { readonly id: string },
  partitionKey: string | readonly string[],
  mode: "create" | "upsert" | { readonly replaceIfMatch: string },
): Promise<"written" | "conflict" | "conflict after an unanswered attempt"> {
  const etag = typeof mode === "object" ? mode.replaceIfMatch : undefined;
  const base = cosmosResource(target.endpoint);
  const docs = `dbs/${encodeURIComponent(target.database)}/colls/${encodeURIComponent(target.container)}/docs`;
  const body = JSON.stringify(Object.fromEntries(Object.entries(item).filter(([k]) => !SYSTEM_PROPERTIES.includes(k))));
  // An earlier attempt timed out or was answered 408/503: it may have been applied.
  let unanswered = false;
  for (let attempt = 1; ; attempt++) {
    // Before the token too; a refresh (up to TOKEN_TIMEOUT_MS) is waited for no later than the deadline.
    if (leftOf(target.deadline) <= 0) throw new DeadlineError(`Cosmos DB call to ${target.container}`);
    const token = await tokens.token(base, target.deadline);
    const res = await cosmosCall(
      fetchFn,
      etag ? `${base}/${docs}/${encodeURIComponent(item.id)}` : `${base}/${docs}`,
      {
        method: etag ? "PUT" : "POST",
        headers: {
          Authorization: encodeURIComponent(`type=aad&ver=1.0&sig=${token}`),
          "x-ms-date": new Date().toUTCString(),
          "x-ms-version": COSMOS_API_VERSION,
          "x-ms-documentdb-partitionkey": partitionKeyHeader(partitionKey),
          "Content-Type": "application/json",
          ...(etag ? { "If-Match": etag } : {}),
          ...(mode === "upsert" ? { "x-ms-documentdb-is-upsert": "True" } : {}),
        },
        body,
      },
      target.deadline,
    );
    // 412: changed since the read; 409: created meanwhile; 404 on a replace: deleted since the read (on a create, or
    // with substatus 1003, a 404 means the container is missing: an error).
    // An upsert has no such refusal: a 409 there (a unique key) is an error.
    if (mode !== "upsert" && (res.status === 412 || res.status === 409 || (etag && itemNotFound(res)))) {
      await discard(res);
      return unanswered ? "conflict after an unanswered attempt" : "conflict";
    }
    // Throttled (429), a concurrent write to the same item the service asks to retry (449), a timeout (408) or a
    // moment of unavailability (503): the answers Microsoft's SDKs retry (troubleshoot-dotnet-sdk, "retry design").
    // Fewer tries than the SDKs' default (9, up to 30 s): every function has 30 s in all (host.json functionTimeout).
    // What still fails is the caller's: the scorer sends the card's payments to review, a failed event create fails
    // the batch (run again by its trigger).
    const wait = Math.min(1000, Number(res.headers.get("x-ms-retry-after-ms") ?? 100) || 100);
    if ([429, 449, 408, 503].includes(res.status) && attempt < READ_ATTEMPTS) {
      // 429 and 449 refuse the request; a 408 or 503 (or the client's own timeout, answered 408) leaves it unknown.
      if (res.status === 408 || res.status === 503) unanswered = true;
      await discard(res);
      if (wait >= leftOf(target.deadline))
        throw new DeadlineError(`Cosmos DB write of ${target.container}/${item.id} answered ${res.status}`);
      await new Promise((resolve) => setTimeout(resolve, wait));
      continue;
    }
    await discard(res);
    if (!res.ok) throw new Error(`Cosmos DB write of ${target.container}/${item.id} answered ${res.status}`);
    return "written";
  }
}

/**
 * Creates an item unless one with its id and partition key exists (`POST …/docs` without the upsert header; Cosmos
 * DB answers 409 Conflict for an existing id): "exists" leaves the stored item as it is. Throttled and transient
 * answers are tried again as in `writeItem`.
 */
export async function createItem(
  fetchFn: Fetch,
  tokens: Pick<ManagedIdentityTokens, "token">,
  target: CosmosTarget,
  item: { readonly id: string },
  partitionKey: string | readonly string[],
): Promise<"created" | "exists"> {
  // A 409 that answers the retry of a create whose first answer was lost (a timeout, a 408 or 503) is that create's
  // own: the item landed and the answer did not. Only for items one writer creates under a deterministic id (the
  // scorer's webhook events: one per payment, and a batch runs on one instance at a time).
  const outcome = await sendItem(fetchFn, tokens, target, item, partitionKey, "create");
  return outcome === "written" || outcome === "conflict after an unanswered attempt" ? "created" : "exists";
}

/** Maps with at most `limit` calls in flight (a burst of point reads stays within the container's throughput). */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
