/**
 * Entra tokens of the app's user-assigned identity from the managed identity endpoint (no SDK, no keys), cached and
 * shared per process, and what every call here shares: the injected `fetch`, releasing an unread answer, the
 * invocation's deadline.
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

/** The invocation's deadline passed before a call (a token, a Cosmos DB call, the scoring call) could start or be tried again. */
export class DeadlineError extends Error {
  constructor(what: string) {
    super(`${what}: the invocation's deadline passed`);
    this.name = "DeadlineError";
  }
}

/** Milliseconds left before `deadline` (Infinity without one). */
export function leftOf(deadline: number | undefined): number {
  return deadline === undefined ? Infinity : deadline - Date.now();
}
