/**
 * The few Azure calls the functions make themselves, over HTTPS with Entra tokens of the app's user-assigned
 * identity (no SDK, no keys): the managed identity token endpoint (identity.ts), Cosmos DB point reads and
 * conditional writes (cosmos.ts), and the ML endpoint (here).
 * `fetch` is injected so the logic is tested without a network.
 */
import { DeadlineError, discard, type Fetch, type ManagedIdentityTokens } from "./identity";

export * from "./cosmos";
export {
  DeadlineError,
  discard,
  ManagedIdentityTokens,
  REFRESH_RETRY_MS,
  TOKEN_TIMEOUT_MS,
  TokenUnavailableError,
  type Fetch,
} from "./identity";

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
