/**
 * A read of an ARM resource azure-native has no typed read for (a Cosmos DB container's `throughputSettings/default`,
 * whose floor the stack config must not go below): a GET on Azure Resource Manager with the provider's own login.
 *
 * Why not azure-native's generic `resources.getResource`: its invoke sends the `resources` module's API version
 * (2024-03-01), not the `apiVersion` argument, on every GET (provider.go `Invoke`: `k.azureClient.Get(ctx, id,
 * res.APIVersion, nil)`; pulumi/pulumi-azure-native#4109 reports the same of the generic resource), and no Cosmos DB
 * API has that version. So the token comes from the provider (`authorization.getClientToken`: the login of the
 * `pulumi preview`/`up` itself, CI's OIDC included) and the GET is made here, at the API version the caller names.
 *
 * The offline preview has no Azure to ask: its engine installs a reader in place of this one (`setArmReader`, read
 * through a global symbol so that the program's copy of this module sees it), answering as the mocks answer the
 * invokes.
 */
import * as authorization from "@pulumi/azure-native/authorization";
import * as pulumi from "@pulumi/pulumi";
import { envFetch, UnusableProxyError } from "../../lib/envProxy";

/** Azure Resource Manager of Azure's public cloud (the platform runs in its EU regions only). */
export const ARM_ENDPOINT = "https://management.azure.com";

/** A GET of `resourceId` at `apiVersion`: the resource's body, or undefined when Azure reports it (or a parent) missing. */
export type ArmReader = (resourceId: string, apiVersion: string) => Promise<Record<string, unknown> | undefined>;

const READER = Symbol.for("payments-data-platform.armReader");
type WithReader = { [READER]?: ArmReader };

/** Installs a reader in place of ARM (the offline engine, a test program); undefined puts ARM back. */
export function setArmReader(reader: ArmReader | undefined): void {
  (globalThis as WithReader)[READER] = reader;
}

/** The reader installed in place of ARM, if any (a test program wraps the offline engine's). */
export function installedArmReader(): ArmReader | undefined {
  return (globalThis as WithReader)[READER];
}

/** What the GET needs besides the URL: injected by the unit tests. */
export interface ArmGetDeps {
  readonly token: () => Promise<string>;
  readonly fetch: (url: string, init: { headers: Record<string, string>; signal: AbortSignal }) => Promise<ArmResponse>;
  readonly sleep: (ms: number) => Promise<void>;
  /** The signal that ends a try after `ms` (default `AbortSignal.timeout`). */
  readonly timeout?: (ms: number) => AbortSignal;
}

/** The part of a fetch Response the GET reads. */
export interface ArmResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** How often a throttled (429), timed-out (408), failing (5xx) or unanswered GET is tried, and the longest wait between tries it honours. */
export const ARM_GET_ATTEMPTS = 4;
export const ARM_GET_MAX_WAIT_MS = 30_000;
/** How long one try may take, answer included (Node's fetch has no limit of its own short of 300 s per phase). */
export const ARM_GET_TIMEOUT_MS = 60_000;

/** The wait before the next try: Azure's `Retry-After` (seconds), else 2, 4, 8 s; at most ARM_GET_MAX_WAIT_MS. */
export function retryWaitMs(retryAfter: string | null, attempt: number): number {
  const seconds = retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : 2 ** attempt;
  return Math.min(seconds * 1000, ARM_GET_MAX_WAIT_MS);
}

/**
 * The GET itself. 404 (the resource, its parent or its group missing: `ResourceNotFound`, `ParentResourceNotFound`,
 * `ResourceGroupNotFound`, a resource provider's own `NotFound`) reads as none, except `SubscriptionNotFound` (a wrong
 * login, not a missing resource); 408, 429 and 5xx are tried again, as are requests that got no answer (a network
 * error, no answer within ARM_GET_TIMEOUT_MS), as the Azure SDKs' retry policy does (azcore: transport errors, 408, 429,
 * 500, 502, 503, 504; here every 5xx); any other answer (403 for a login without read access, 400 for an API version
 * the service does not have) rejects, with the URL and Azure's code and message (the checks that read through it
 * turn that into a warning: they are safety nets), as does a proxy setting envFetch cannot use (not tried again).
 */
export async function armGet(
  resourceId: string,
  apiVersion: string,
  deps: ArmGetDeps,
): Promise<Record<string, unknown> | undefined> {
  const url = `${ARM_ENDPOINT}${resourceId}?api-version=${encodeURIComponent(apiVersion)}`;
  const what = `GET ${resourceId} (api-version ${apiVersion})`;
  const token = await deps.token();
  for (let attempt = 1; ; attempt++) {
    const last = attempt >= ARM_GET_ATTEMPTS;
    let response: ArmResponse;
    let body: string;
    try {
      response = await deps.fetch(url, {
        headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
        signal: (deps.timeout ?? AbortSignal.timeout)(ARM_GET_TIMEOUT_MS),
      });
      body = await response.text();
    } catch (error) {
      if (error instanceof UnusableProxyError) throw new Error(`${what} failed: ${error.message}`, { cause: error });
      const cause = (error as { cause?: unknown }).cause;
      const reason = `${String(error)}${cause !== undefined ? ` (${String(cause)})` : ""}`;
      if (last) throw new Error(`${what} failed after ${attempt} tries: ${reason}`, { cause: error });
      await deps.sleep(retryWaitMs(null, attempt));
      continue;
    }
    if (response.status >= 200 && response.status < 300) return JSON.parse(body) as Record<string, unknown>;
    const error = armErrorText(body);
    if (response.status === 404 && !error.startsWith('Code="SubscriptionNotFound"')) return undefined;
    const retriable = response.status === 408 || response.status === 429 || response.status >= 500;
    if (retriable && !last) {
      await deps.sleep(retryWaitMs(response.headers.get("retry-after"), attempt));
      continue;
    }
    throw new Error(`${what} failed${retriable ? ` after ${attempt} tries` : ""}: HTTP ${response.status} ${error}`);
  }
}

/** Azure's `{ error: { code, message } }`, as `Code="…" Message="…"` (how azure-native words its failures), else the body. */
export function armErrorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    if (parsed.error && typeof parsed.error.code === "string")
      return `Code="${parsed.error.code}" Message="${String(parsed.error.message ?? "")}"`;
  } catch {
    // Not JSON: the body as it came.
  }
  return body.slice(0, 500);
}

/** How long the provider's token serves the reads of a run before another is asked for (ARM's last at least an hour). */
const TOKEN_REUSE_MS = 10 * 60_000;
let token: { readonly value: Promise<string>; readonly until: number } | undefined;

/** Forgets the token `readArm` holds (a test's fresh start). */
export function forgetArmToken(): void {
  token = undefined;
}

/**
 * Reads `resourceId` at `apiVersion` from ARM with the provider's login (or through the installed reader: the
 * offline preview). `opts` are the invoke options of the token's read (its `parent`, for the provider); one token
 * serves the reads of ten minutes, whatever their `opts` (every caller reads the stack's own subscription through
 * the default provider: a read under another provider's login would need a token of its own). The GET goes through
 * the proxy the environment names as the provider's own requests do (`HTTPS_PROXY`, `NO_PROXY`: lib/envProxy.ts).
 */
export function readArm(
  resourceId: string,
  apiVersion: string,
  opts?: pulumi.InvokeOptions,
): Promise<Record<string, unknown> | undefined> {
  const installed = installedArmReader();
  if (installed) return installed(resourceId, apiVersion);
  if (token === undefined || Date.now() > token.until) {
    const value = authorization.getClientToken({}, opts).then((t) => t.token);
    // A failed read of the token is not kept: the next read asks again.
    value.catch(() => {
      if (token?.value === value) token = undefined;
    });
    token = { value, until: Date.now() + TOKEN_REUSE_MS };
  }
  const current = token.value;
  return armGet(resourceId, apiVersion, {
    token: () => current,
    fetch: (url, init) => envFetch(url, init),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
}
