/**
 * The few Azure calls the functions make themselves, over HTTPS with Entra tokens of the app's user-assigned
 * identity (no SDK, no keys): the managed identity token endpoint, Cosmos DB point reads and conditional writes, and
 * the ML endpoint.
 * `fetch` is injected so the logic is tested without a network.
 */

export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

/**
 * Releases a response whose body is not read: Node's fetch (undici) keeps the connection until the body is consumed
 * or cancelled, or until garbage collection (undici README, "Garbage Collection"), so an unread 404 or 429 would hold
 * a socket the next calls need.
 */
export async function discard(res: Response): Promise<void> {
  try {
    await res.body?.cancel();
  } catch {
    // Already consumed or closed: nothing to release.
  }
}

/** How long a token request to the managed identity endpoint may take. */
export const TOKEN_TIMEOUT_MS = 5_000;
/** How long a background token refresh waits after a failed one (the cached token is still good for a minute or more). */
export const REFRESH_RETRY_MS = 15_000;

/**
 * The managed identity endpoint could not give a token for now: it throttled (429), failed (5xx), or did not answer in
 * time. Nothing was sent on with it, so a caller may answer "unavailable, retry" (the payment API's 503) rather than
 * a failure of its own; an endpoint that refuses the request (4xx: a wrong client id) is a plain error.
 */
export class TokenUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TokenUnavailableError";
  }
}

/**
 * A fetch failure that is "for now": no answer in time, or a connection the endpoint dropped (undici's
 * `UND_ERR_SOCKET`, a reset). A refused connection or an unknown host is not (a wrong endpoint).
 */
function isUnavailable(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown } }).cause?.code;
  return (error as Error).name === "TimeoutError" || ["UND_ERR_SOCKET", "ECONNRESET", "EPIPE"].includes(String(cause));
}

/** Token providers shared per fetch function and identity, so every invocation of a process uses one cache. */
const shared = new WeakMap<Fetch, Map<string, ManagedIdentityTokens>>();

/**
 * Gets tokens from the App Service / Functions managed identity endpoint (IDENTITY_ENDPOINT + IDENTITY_HEADER,
 * API 2019-08-01) for the user-assigned identity `clientId`, cached; refreshed in the background from five minutes
 * before expiry, waited for from one minute before. Concurrent
 * requests for one resource share one call: a batch's parallel reads would otherwise each ask the endpoint, which
 * throttles (429) under load (Azure/azure-sdk-for-net#24046: apps without a shared token cache overload it).
 */
export class ManagedIdentityTokens {
  private readonly cache = new Map<string, { token: string; expiresOn: number }>();
  private readonly pending = new Map<string, Promise<string>>();
  /** When a refresh of each resource last failed (epoch ms, `now`'s clock): background refreshes wait after one. */
  private readonly failedAt = new Map<string, number>();

  constructor(
    private readonly env: { endpoint: string; header: string; clientId: string },
    private readonly fetchFn: Fetch,
    private readonly now: () => number = Date.now,
  ) {}

  /** The process's provider for this identity and fetch function (one cache across invocations). */
  static fromEnvironment(env: NodeJS.ProcessEnv, fetchFn: Fetch): ManagedIdentityTokens {
    const endpoint = env.IDENTITY_ENDPOINT;
    const header = env.IDENTITY_HEADER;
    const clientId = env.AZURE_CLIENT_ID;
    if (!endpoint || !header || !clientId)
      throw new Error("IDENTITY_ENDPOINT, IDENTITY_HEADER and AZURE_CLIENT_ID must be set (managed identity)");
    const byIdentity = shared.get(fetchFn) ?? new Map<string, ManagedIdentityTokens>();
    shared.set(fetchFn, byIdentity);
    const key = JSON.stringify([endpoint, header, clientId]);
    let tokens = byIdentity.get(key);
    if (!tokens) byIdentity.set(key, (tokens = new ManagedIdentityTokens({ endpoint, header, clientId }, fetchFn)));
    return tokens;
  }

  /**
   * A token for `resource`. With a `deadline` (epoch ms, as `CosmosTarget.deadline`) the caller waits for a refresh no
   * later than it (`DeadlineError`); the refresh itself goes on for whoever asks next, within TOKEN_TIMEOUT_MS.
   */
  async token(resource: string, deadline?: number): Promise<string> {
    const cached = this.cache.get(resource);
    const now = this.now();
    if (cached && cached.expiresOn - 300_000 > now) return cached.token;
    // Refreshed in the background while the token has more than a minute left: no call waits for the endpoint but a
    // process's first (and one whose refreshes failed for four minutes). After a failed background refresh the next
    // one waits REFRESH_RETRY_MS: a throttling endpoint is not asked again by every call (the overload the shared
    // cache exists to prevent).
    const usable = cached !== undefined && cached.expiresOn - 60_000 > now;
    const lastFailure = this.failedAt.get(resource);
    let request = this.pending.get(resource);
    if (!request && usable && lastFailure !== undefined && now - lastFailure < REFRESH_RETRY_MS) return cached.token;
    if (!request) {
      request = this.request(resource).then(
        (token) => {
          this.failedAt.delete(resource);
          return token;
        },
        (error: unknown) => {
          this.failedAt.set(resource, this.now());
          throw error;
        },
      );
      const settled = request.finally(() => this.pending.delete(resource));
      // Handled here as well: a caller that stops waiting at its deadline, or a background refresh, leaves the request
      // with no one to hear it.
      settled.catch(() => undefined);
      request = settled;
      this.pending.set(resource, request);
    }
    if (usable) return cached.token;
    const left = leftOf(deadline);
    if (left === Infinity) return request;
    if (left <= 0) throw new DeadlineError(`managed identity token for ${resource}`);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeadlineError(`managed identity token for ${resource}`)), left);
    });
    try {
      return await Promise.race([request, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async request(resource: string): Promise<string> {
    const url = new URL(this.env.endpoint);
    url.searchParams.set("resource", resource);
    url.searchParams.set("api-version", "2019-08-01");
    url.searchParams.set("client_id", this.env.clientId);
    // A bounded wait: callers answer merchants within the host's 30-second function timeout.
    let res: Response;
    try {
      res = await this.fetchFn(url.toString(), {
        headers: { "X-IDENTITY-HEADER": this.env.header },
        signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
      });
    } catch (error) {
      // No answer in time, or a connection dropped: unavailable for now. A refused connection or an unknown host is a
      // wrong IDENTITY_ENDPOINT, which retrying will not mend: a plain error.
      if (isUnavailable(error))
        throw new TokenUnavailableError(`managed identity endpoint did not answer for ${resource}`);
      throw error;
    }
    if (!res.ok) {
      await discard(res);
      const message = `managed identity endpoint answered ${res.status} for ${resource}`;
      throw res.status === 429 || res.status >= 500 ? new TokenUnavailableError(message) : new Error(message);
    }
    let body: { access_token?: string; expires_on?: string | number };
    try {
      body = (await res.json()) as typeof body;
    } catch (error) {
      // The answer cut off (the request's timeout also covers the body) or its connection dropped.
      if (isUnavailable(error))
        throw new TokenUnavailableError(`managed identity endpoint did not answer for ${resource}`);
      throw error;
    }
    if (!body.access_token) throw new Error(`managed identity endpoint returned no token for ${resource}`);
    this.cache.set(resource, { token: body.access_token, expiresOn: Number(body.expires_on) * 1000 });
    return body.access_token;
  }
}

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

/** The invocation's deadline passed before a Cosmos DB call could start or be tried again. */
export class DeadlineError extends Error {
  constructor(what: string) {
    super(`${what}: the invocation's deadline passed`);
    this.name = "DeadlineError";
  }
}

/** Milliseconds left before `deadline` (Infinity without one). */
function leftOf(deadline: number | undefined): number {
  return deadline === undefined ? Infinity : deadline - Date.now();
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

/** Azure ML online endpoints take Entra tokens for this resource (endpoint auth mode AADToken). */
export const AML_RESOURCE = "https://ml.azure.com";

/**
 * Calls the scoring endpoint within `timeoutMs`, its token included: a token refresh (up to TOKEN_TIMEOUT_MS) is not
 * waited for past it (`DeadlineError`; the refresh goes on and the next batch finds the token cached). Throws on
 * timeout or a non-2xx answer.
 */
export async function callScoringEndpoint(
  fetchFn: Fetch,
  tokens: Pick<ManagedIdentityTokens, "token">,
  scoringUri: string,
  body: unknown,
  timeoutMs: number,
): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  const token = await tokens.token(AML_RESOURCE, deadline);
  const left = deadline - Date.now();
  if (left <= 0) throw new DeadlineError("scoring endpoint call");
  const res = await fetchFn(scoringUri, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(left),
  });
  if (!res.ok) {
    await discard(res);
    throw new Error(`scoring endpoint answered ${res.status}`);
  }
  return res.json();
}
