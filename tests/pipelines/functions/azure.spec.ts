import { strict as assert } from "node:assert";
import {
  callScoringEndpoint,
  COSMOS_API_VERSION,
  cosmosResource,
  createItem,
  DeadlineError,
  ManagedIdentityTokens,
  TokenUnavailableError,
  partitionKeyHeader,
  READ_ATTEMPTS,
  readItem,
  REFRESH_RETRY_MS,
  TOKEN_TIMEOUT_MS,
  upsertItem,
  writeItem,
  type Fetch,
} from "../../../pipelines/functions/src/lib/azure";

interface Call {
  url: string;
  init?: RequestInit;
}

/** A fetch that records calls and answers from a function. */
function fakeFetch(answer: (url: string, init?: RequestInit) => Response): { fetch: Fetch; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    fetch: async (url, init) => {
      calls.push({ url, init });
      return answer(url, init);
    },
  };
}
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });
const env = { endpoint: "http://localhost:8081/msi/token", header: "secret-header", clientId: "client-1" };

/** The unhandled promise rejections Node reports while `run` runs (and a turn after). */
async function unhandledRejectionsDuring(run: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const spy = (reason: unknown) => seen.push(reason);
  process.on("unhandledRejection", spy);
  try {
    await run();
    await new Promise((resolve) => setTimeout(resolve, 10));
  } finally {
    process.off("unhandledRejection", spy);
  }
  return seen;
}

/** Tokens from an identity endpoint that answers "t1" only once `release` is called. */
function heldTokenEndpoint(): { f: ReturnType<typeof fakeFetch>; tokens: ManagedIdentityTokens; release: () => void } {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const f = fakeFetch(() => json({ access_token: "t1", expires_on: String(Date.now() / 1000 + 3600) }));
  const held: Fetch = async (url, init) => {
    await gate;
    return f.fetch(url, init);
  };
  return { f, tokens: new ManagedIdentityTokens(env, held), release };
}

describe("functions: Azure calls with the managed identity", () => {
  it("gets a token for the user-assigned identity, cached; refreshed in the background from 5 minutes before expiry, waited for from 1", async () => {
    let now = 1_000_000_000_000;
    let issued = 0;
    const f = fakeFetch(() => json({ access_token: `t${++issued}`, expires_on: String(now / 1000 + 3600) }));
    const tokens = new ManagedIdentityTokens(env, f.fetch, () => now);
    assert.equal(await tokens.token("https://ml.azure.com"), "t1");
    assert.equal(await tokens.token("https://ml.azure.com"), "t1");
    assert.equal(f.calls.length, 1);
    const url = new URL(f.calls[0].url);
    assert.equal(url.searchParams.get("client_id"), "client-1");
    assert.equal(url.searchParams.get("api-version"), "2019-08-01");
    assert.equal((f.calls[0].init?.headers as Record<string, string>)["X-IDENTITY-HEADER"], "secret-header");
    now += 3301_000;
    assert.equal(await tokens.token("https://ml.azure.com"), "t1", "4 min 59 s left: the cached token, at once");
    assert.equal(f.calls.length, 2, "refreshed inside the last 5 minutes");
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await tokens.token("https://ml.azure.com"), "t2", "the background refresh's token");
    // A token whose refreshes failed until its last minute: the caller waits for a new one.
    let later = 1_000_000_000_000;
    let healthy = true;
    const flaky = fakeFetch(() =>
      healthy ? json({ access_token: "s1", expires_on: String(later / 1000 + 3600) }) : json({}, 500),
    );
    const stale = new ManagedIdentityTokens(env, flaky.fetch, () => later);
    assert.equal(await stale.token("https://ml.azure.com"), "s1");
    healthy = false;
    later += 3_300_000;
    assert.equal(await stale.token("https://ml.azure.com"), "s1", "5 min left: cached, the refresh fails unseen");
    await new Promise((resolve) => setImmediate(resolve));
    later += 250_000;
    await assert.rejects(stale.token("https://ml.azure.com"), /answered 500/, "under a minute left: waited for");
    assert.equal(flaky.calls.length, 3);
  });

  it("asks the identity endpoint once for concurrent requests of one resource (a batch's parallel reads)", async () => {
    const { f, tokens, release } = heldTokenEndpoint();
    const all = Promise.all(Array.from({ length: 200 }, () => tokens.token("https://acct.documents.azure.com")));
    release();
    assert.deepEqual(new Set(await all), new Set(["t1"]));
    assert.equal(f.calls.length, 1, "one call for 200 concurrent requests");
    // A failed call is not cached: the next request asks again.
    const failing = fakeFetch(() => json({}, 500));
    const t2 = new ManagedIdentityTokens(env, failing.fetch);
    await assert.rejects(t2.token("https://ml.azure.com"), /answered 500/);
    await assert.rejects(t2.token("https://ml.azure.com"), /answered 500/);
    assert.equal(failing.calls.length, 2);
  });

  it("tells an endpoint that is unavailable for now (429, 5xx, no answer) from one that refuses the request", async () => {
    for (const status of [429, 500, 503]) {
      const t = new ManagedIdentityTokens(env, fakeFetch(() => json({}, status)).fetch);
      await assert.rejects(t.token("https://database.windows.net/"), TokenUnavailableError, String(status));
    }
    const timeout = Object.assign(new Error("The operation was aborted due to timeout"), { name: "TimeoutError" });
    const silent = new ManagedIdentityTokens(env, () => Promise.reject(timeout));
    await assert.rejects(silent.token("https://database.windows.net/"), TokenUnavailableError);
    // A wrong IDENTITY_ENDPOINT (connection refused) is not "for now": a plain error, which the API answers 500.
    const refusedConnection = Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
    // A connection the endpoint dropped is "for now".
    const reset = Object.assign(new TypeError("fetch failed"), { cause: { code: "UND_ERR_SOCKET" } });
    await assert.rejects(
      new ManagedIdentityTokens(env, () => Promise.reject(reset)).token("https://x"),
      TokenUnavailableError,
    );
    const wrong = new ManagedIdentityTokens(env, () => Promise.reject(refusedConnection));
    await assert.rejects(
      wrong.token("https://database.windows.net/"),
      (e: unknown) => !(e instanceof TokenUnavailableError),
    );
    const refused = new ManagedIdentityTokens(env, fakeFetch(() => json({}, 400)).fetch);
    await assert.rejects(
      refused.token("https://database.windows.net/"),
      (e: unknown) => !(e instanceof TokenUnavailableError) && /answered 400/.test(String(e)),
    );
  });

  it("waits for a token refresh no later than the caller's deadline; the refresh goes on for the next caller", async () => {
    const { f, tokens, release } = heldTokenEndpoint();
    const started = Date.now();
    await assert.rejects(tokens.token("https://acct.documents.azure.com", started + 50), DeadlineError);
    const waited = Date.now() - started;
    assert.ok(
      waited >= 40 && waited < 1_000,
      `cut at the deadline, not the refresh's ${TOKEN_TIMEOUT_MS} ms: ${waited}`,
    );
    await assert.rejects(tokens.token("https://acct.documents.azure.com", Date.now() - 1), DeadlineError, "past");
    // The refresh the first caller started is still the one in flight: a caller without a deadline gets its token.
    const next = tokens.token("https://acct.documents.azure.com");
    release();
    assert.equal(await next, "t1");
    assert.equal(f.calls.length, 1, "one refresh for both callers");
    // A cached token needs no time: a deadline already passed does not matter.
    assert.equal(await tokens.token("https://acct.documents.azure.com", Date.now() - 1), "t1");
    // A refresh that fails after its only caller gave up leaves no unhandled rejection.
    const failing = new ManagedIdentityTokens(env, async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return json({}, 500);
    });
    const unhandled = await unhandledRejectionsDuring(async () => {
      await assert.rejects(failing.token("https://ml.azure.com", Date.now() + 5), DeadlineError);
      await new Promise((resolve) => setTimeout(resolve, 60));
    });
    assert.deepEqual(unhandled, []);
  });

  it("after a failed background refresh, waits REFRESH_RETRY_MS before asking a throttling endpoint again", async () => {
    let now = 1_000_000_000_000;
    let throttled = false;
    const f = fakeFetch(() =>
      throttled ? json({}, 429) : json({ access_token: "t1", expires_on: String(now / 1000 + 3600) }),
    );
    const tokens = new ManagedIdentityTokens(env, f.fetch, () => now);
    assert.equal(await tokens.token("https://ml.azure.com"), "t1");
    throttled = true;
    now += 3_600_000 - 240_000; // 4 minutes left: refreshed in the background
    const unhandled = await unhandledRejectionsDuring(async () => {
      for (let i = 0; i < 200; i++) {
        assert.equal(await tokens.token("https://ml.azure.com"), "t1", "the cached token while it has over a minute");
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    assert.deepEqual(unhandled, [], "a failed background refresh is nobody's unhandled rejection");
    assert.equal(f.calls.length, 2, "one background refresh, not one per call");
    now += REFRESH_RETRY_MS;
    await tokens.token("https://ml.azure.com");
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(f.calls.length, 3, "asked again once REFRESH_RETRY_MS has passed");
    now += 200_000; // under a minute left: callers wait, and see the failure
    await assert.rejects(tokens.token("https://ml.azure.com"), TokenUnavailableError);
  });

  it("reads Cosmos DB no later than its deadline when the token refresh hangs", async () => {
    const hanging = new ManagedIdentityTokens(env, () => new Promise<Response>(() => undefined));
    const target = { endpoint: "https://acct.documents.azure.com:443/", database: "payments", container: "ff" };
    const started = Date.now();
    const cosmos = fakeFetch(() => json({}));
    await assert.rejects(
      readItem(cosmos.fetch, hanging, { ...target, deadline: started + 50 }, "card-1", "card-1"),
      DeadlineError,
    );
    assert.ok(Date.now() - started < 1_000);
    assert.equal(cosmos.calls.length, 0);
  });

  it("shares one token cache per process: every invocation's provider is the same for one identity", async () => {
    const f = fakeFetch(() => json({ access_token: "t1", expires_on: String(Date.now() / 1000 + 3600) }));
    const processEnv = { IDENTITY_ENDPOINT: env.endpoint, IDENTITY_HEADER: env.header, AZURE_CLIENT_ID: env.clientId };
    const first = ManagedIdentityTokens.fromEnvironment(processEnv, f.fetch);
    await first.token("https://ml.azure.com");
    const second = ManagedIdentityTokens.fromEnvironment({ ...processEnv }, f.fetch);
    assert.equal(second, first);
    await second.token("https://ml.azure.com");
    assert.equal(f.calls.length, 1, "the second invocation reuses the first one's token");
    assert.notEqual(ManagedIdentityTokens.fromEnvironment({ ...processEnv, AZURE_CLIENT_ID: "other" }, f.fetch), first);
  });

  it("reads every answer's body within the call's time, so no response holds its connection (404, 429, errors)", async () => {
    const tokens = { token: async () => "t" };
    const target = { endpoint: "https://acct.documents.azure.com:443/", database: "payments", container: "c" };
    const answers = [429, 404];
    let drained = 0;
    const answer = (status: number) =>
      new Response(
        new ReadableStream({
          pull: (c) => {
            c.close();
            drained++;
          },
        }),
        { status, headers: { "x-ms-retry-after-ms": "1" } },
      );
    const f = fakeFetch(() => answer(answers.shift() ?? 500));
    assert.equal(await readItem(f.fetch, tokens, target, "card:1", "card:1"), undefined);
    assert.equal(drained, 2, "the throttled answer and the 404 were read to their end");
    await assert.rejects(readItem(fakeFetch(() => answer(503)).fetch, tokens, target, "x", "x"), /answered 503/);
    assert.equal(drained, 3, "an error answer too");
  });

  it("a body that stalls after the headers is a timed-out call: tried again, or a DeadlineError near the deadline", async () => {
    const tokens = { token: async () => "t" };
    const target = { endpoint: "https://acct.documents.azure.com:443/", database: "payments", container: "c" };
    // The headers come at once; the body never does, until the call's own signal ends it (as fetch's signal does).
    const stalled = (init?: RequestInit) =>
      new Response(
        new ReadableStream({
          start: (c) => init?.signal?.addEventListener("abort", () => c.error(init.signal?.reason)),
        }),
        { status: 200 },
      );
    const started = Date.now();
    await assert.rejects(
      readItem(
        fakeFetch((_url, init) => stalled(init)).fetch,
        tokens,
        { ...target, deadline: started + 150 },
        "x",
        "x",
      ),
      DeadlineError,
      "the merchant refresh leaves such a merchant for its next run instead of failing the run",
    );
    assert.ok(Date.now() - started < 1_000, "ended by the deadline, not by the call's 2 s");
    // Without a deadline, a body cut by the call's own time is a 408 and is read again.
    let calls = 0;
    const cutOnce = fakeFetch(() =>
      calls++ === 0
        ? new Response(
            new ReadableStream({ pull: (c) => c.error(new DOMException("The operation timed out", "TimeoutError")) }),
            { status: 200 },
          )
        : json({ id: "x", count1h: 1 }),
    );
    assert.deepEqual(await readItem(cutOnce.fetch, tokens, target, "x", "x"), { id: "x", count1h: 1 });
    assert.equal(calls, 2);
  });

  it("writes an item only if unchanged: replace with If-Match, create without upsert; 412/409/404 are conflicts", async () => {
    const tokens = { token: async () => "t" };
    const target = { endpoint: "https://acct.documents.azure.com:443/", database: "payments", container: "ff" };
    const item = { id: "paymentMethod:7", entityKey: "paymentMethod:7", count1h: 1, _etag: '"e1"', _ts: 5, _rid: "r" };
    const ok = fakeFetch(() => new Response("{}", { status: 200 }));
    assert.equal(await writeItem(ok.fetch, tokens, target, item, "paymentMethod:7", '"e1"'), "written");
    const [put] = ok.calls;
    assert.equal(put.url, "https://acct.documents.azure.com/dbs/payments/colls/ff/docs/paymentMethod%3A7");
    assert.equal(put.init?.method, "PUT");
    const headers = new Headers(put.init?.headers);
    assert.equal(headers.get("If-Match"), '"e1"');
    assert.equal(headers.get("x-ms-documentdb-partitionkey"), '["paymentMethod:7"]');
    assert.equal(headers.get("x-ms-documentdb-is-upsert"), null, "never an upsert");
    // Cosmos DB's system properties are not sent back.
    assert.deepEqual(JSON.parse(String(put.init?.body)), {
      id: "paymentMethod:7",
      entityKey: "paymentMethod:7",
      count1h: 1,
    });
    const created = fakeFetch(() => new Response("{}", { status: 201 }));
    assert.equal(await writeItem(created.fetch, tokens, target, item, "paymentMethod:7", undefined), "written");
    assert.equal(created.calls[0].init?.method, "POST");
    assert.equal(created.calls[0].url, "https://acct.documents.azure.com/dbs/payments/colls/ff/docs");
    assert.equal(new Headers(created.calls[0].init?.headers).get("If-Match"), null);
    for (const status of [412, 409, 404])
      // on a replace
      assert.equal(
        await writeItem(fakeFetch(() => new Response("", { status })).fetch, tokens, target, item, "k", '"e"'),
        "conflict",
        String(status),
      );
    await assert.rejects(
      writeItem(fakeFetch(() => new Response("", { status: 404 })).fetch, tokens, target, item, "k", undefined),
      /answered 404/,
      "a create's 404 is a missing container, not a conflict",
    );
    const transient = [449, 503, 408, 200];
    const again = fakeFetch(
      () => new Response("", { status: transient.shift() ?? 500, headers: { "x-ms-retry-after-ms": "1" } }),
    );
    assert.equal(await writeItem(again.fetch, tokens, target, item, "k", '"e"'), "written");
    assert.equal(again.calls.length, 4, "449, 503 and 408 are tried again");
    const throttled = [429, 200];
    const retried = fakeFetch(
      () => new Response("", { status: throttled.shift() ?? 500, headers: { "x-ms-retry-after-ms": "1" } }),
    );
    assert.equal(await writeItem(retried.fetch, tokens, target, item, "k", '"e"'), "written");
    assert.equal(retried.calls.length, 2);
    await assert.rejects(
      writeItem(fakeFetch(() => new Response("", { status: 403 })).fetch, tokens, target, item, "k", '"e"'),
      /write of ff\/paymentMethod:7 answered 403/,
    );
  });

  it("keeps Cosmos DB calls within the invocation's deadline: none starts after it, no retry waits past it", async () => {
    const tokens = { token: async () => "t" };
    const base = { endpoint: "https://acct.documents.azure.com:443/", database: "payments", container: "ff" };
    const item = { id: "paymentMethod:7", entityKey: "paymentMethod:7" };
    // Already passed: nothing is sent.
    const none = fakeFetch(() => json({}));
    const past = { ...base, deadline: Date.now() - 1 };
    await assert.rejects(readItem(none.fetch, tokens, past, "k", "k"), DeadlineError);
    await assert.rejects(writeItem(none.fetch, tokens, past, item, "k", undefined), DeadlineError);
    await assert.rejects(createItem(none.fetch, tokens, past, item, "k"), DeadlineError);
    assert.equal(none.calls.length, 0);
    // Throttled with a wait longer than what is left: answered at once, not tried again after the deadline.
    // (The wait asked, capped at 1 s, exceeds what is left; the margin keeps a slow machine from passing the deadline.)
    const throttled = fakeFetch(() => new Response("", { status: 429, headers: { "x-ms-retry-after-ms": "1000" } }));
    const soon = { ...base, deadline: Date.now() + 900 };
    // …as a DeadlineError (its caller may treat it as "not in time", e.g. the merchant refresh leaves the merchant).
    await assert.rejects(
      readItem(throttled.fetch, tokens, soon, "k", "k"),
      (e: unknown) => e instanceof DeadlineError && /answered 429/.test(String(e)),
    );
    await assert.rejects(
      writeItem(throttled.fetch, tokens, soon, item, "k", '"e"'),
      (e: unknown) => e instanceof DeadlineError && /answered 429/.test(String(e)),
    );
    assert.equal(throttled.calls.length, 2, "one try each");
    // Without a deadline the same answers are tried READ_ATTEMPTS times, as before.
    const patient = fakeFetch(() => new Response("", { status: 429, headers: { "x-ms-retry-after-ms": "1" } }));
    await assert.rejects(readItem(patient.fetch, tokens, base, "k", "k"), /answered 429/);
    assert.equal(patient.calls.length, READ_ATTEMPTS);
  });

  it("bounds the wait for a managed identity token", async () => {
    const f = fakeFetch(() => json({ access_token: "t", expires_on: String(Date.now() / 1000 + 3600) }));
    await new ManagedIdentityTokens(env, f.fetch).token("https://database.windows.net/");
    assert.ok(f.calls[0].init?.signal instanceof AbortSignal);
    assert.ok(TOKEN_TIMEOUT_MS <= 5_000);
  });

  it("refuses to start without the managed identity environment", () => {
    assert.throws(
      () => ManagedIdentityTokens.fromEnvironment({}, fetch),
      /IDENTITY_ENDPOINT, IDENTITY_HEADER and AZURE_CLIENT_ID/,
    );
  });

  it("point-reads a Cosmos DB item with an Entra token and the partition key; 404 is 'no item'", async () => {
    const tokens = { token: async (resource: string) => `token-for-${resource}` };
    const target = {
      endpoint: "https://acct.documents.azure.com:443/",
      database: "payments",
      container: "fraud_features",
    };
    const found = fakeFetch(() => json({ id: "merchant:42", count1h: 2 }));
    assert.deepEqual(await readItem(found.fetch, tokens, target, "merchant:42", "merchant:42"), {
      id: "merchant:42",
      count1h: 2,
    });
    assert.equal(
      found.calls[0].url,
      "https://acct.documents.azure.com/dbs/payments/colls/fraud_features/docs/merchant%3A42",
    );
    const headers = found.calls[0].init?.headers as Record<string, string>;
    assert.equal(
      headers.Authorization,
      encodeURIComponent("type=aad&ver=1.0&sig=token-for-https://acct.documents.azure.com"),
    );
    assert.equal(headers["x-ms-documentdb-partitionkey"], '["merchant:42"]');
    const missing = fakeFetch(() => new Response("", { status: 404 }));
    assert.equal(await readItem(missing.fetch, tokens, target, "x", "x"), undefined);
    const denied = fakeFetch(() => new Response("", { status: 403 }));
    await assert.rejects(readItem(denied.fetch, tokens, target, "x", "x"), /answered 403/);
    assert.equal(cosmosResource("https://acct.documents.azure.com:443/"), "https://acct.documents.azure.com");
  });

  it("sends a hierarchical partition key as one JSON array value per level, non-ASCII escaped like the SDK", () => {
    assert.equal(partitionKeyHeader("merchant:42"), '["merchant:42"]');
    assert.equal(partitionKeyHeader(["42", "payment-5-fraud-scored"]), '["42","payment-5-fraud-scored"]');
    // A header carries bytes: @azure/cosmos's jsonStringifyAndEscapeNonASCII writes \\uXXXX (fetch would refuse é).
    assert.equal(partitionKeyHeader(["café"]), '["caf\\u00e9"]');
    assert.deepEqual(JSON.parse(partitionKeyHeader(["café", "€"])), ["café", "€"]);
  });

  it("upserts an item with one writer (POST with the upsert header); a 409 there is an error, not a conflict", async () => {
    const tokens = { token: async () => "t" };
    const target = { endpoint: "https://acct.documents.azure.com:443/", database: "payments", container: "ff" };
    const item = { id: "refresh:merchant", entityKey: "refresh:merchant", _etag: '"x"' };
    const ok = fakeFetch(() => new Response("{}", { status: 200 }));
    await upsertItem(ok.fetch, tokens, target, item, item.id);
    const { url, init } = ok.calls[0];
    assert.equal(url, "https://acct.documents.azure.com/dbs/payments/colls/ff/docs");
    assert.equal(init?.method, "POST");
    const headers = new Headers(init?.headers);
    assert.equal(headers.get("x-ms-documentdb-is-upsert"), "True");
    assert.equal(headers.has("If-Match"), false);
    assert.deepEqual(JSON.parse(String(init?.body)), { id: "refresh:merchant", entityKey: "refresh:merchant" });
    const refused = fakeFetch(() => new Response("", { status: 409 }));
    await assert.rejects(upsertItem(refused.fetch, tokens, target, item, item.id), /ff\/refresh:merchant answered 409/);
  });

  it("creates an item without upsert: 201 is created, 409 leaves the stored item alone", async () => {
    const tokens = { token: async () => "t" };
    const target = {
      endpoint: "https://acct.documents.azure.com:443/",
      database: "payments",
      container: "webhook_events",
    };
    const item = { id: "payment-5-fraud-scored", merchantId: "42" };
    const created = fakeFetch(() => new Response("{}", { status: 201 }));
    assert.equal(await createItem(created.fetch, tokens, target, item, ["42", item.id]), "created");
    const { url, init } = created.calls[0];
    assert.equal(url, "https://acct.documents.azure.com/dbs/payments/colls/webhook_events/docs");
    assert.equal(init?.method, "POST");
    const headers = new Headers(init?.headers);
    assert.equal(headers.get("x-ms-documentdb-partitionkey"), '["42","payment-5-fraud-scored"]');
    assert.equal(headers.get("x-ms-version"), COSMOS_API_VERSION);
    assert.equal(headers.has("x-ms-documentdb-is-upsert"), false, "an upsert would overwrite a delivered event");
    const exists = fakeFetch(() => new Response("", { status: 409 }));
    assert.equal(await createItem(exists.fetch, tokens, target, item, ["42", item.id]), "exists");
    assert.equal(exists.calls.length, 1);
    const refused = fakeFetch(() => new Response("", { status: 400 }));
    await assert.rejects(
      createItem(refused.fetch, tokens, target, item, ["42"]),
      /webhook_events\/payment-5-fraud-scored answered 400/,
    );
  });

  it("calls the scoring endpoint with a bearer token for Azure ML and a deadline", async () => {
    const tokens = { token: async (resource: string) => `token-for-${resource}` };
    const f = fakeFetch(() => json([0.2]));
    assert.deepEqual(
      await callScoringEndpoint(f.fetch, tokens, "https://ep.westeurope.inference.ml.azure.com/score", { a: 1 }, 80),
      [0.2],
    );
    const init = f.calls[0].init as RequestInit;
    assert.equal((init.headers as Record<string, string>).Authorization, "Bearer token-for-https://ml.azure.com");
    assert.ok(init.signal, "aborts after the timeout");
    const failing = fakeFetch(() => new Response("", { status: 503 }));
    await assert.rejects(callScoringEndpoint(failing.fetch, tokens, "https://x/score", {}, 80), /answered 503/);
  });

  it("keeps the scoring call's token refresh within its timeout (the rules model answers instead)", async () => {
    let deadlineSeen: number | undefined;
    const hanging = {
      token: (_resource: string, deadline?: number) => {
        deadlineSeen = deadline;
        return new Promise<string>((_, reject) =>
          setTimeout(
            () => reject(new DeadlineError("managed identity token")),
            Math.max(0, (deadline ?? 0) - Date.now()),
          ),
        );
      },
    };
    const f = fakeFetch(() => json([0.2]));
    const started = Date.now();
    await assert.rejects(callScoringEndpoint(f.fetch, hanging, "https://x/score", {}, 80), DeadlineError);
    // The whole call's 80 ms, from its start (a timer may fire a millisecond early: no bound on Date.now()).
    assert.ok(
      deadlineSeen !== undefined && deadlineSeen - started >= 80 && deadlineSeen - started < 1_000,
      `deadline ${String(deadlineSeen)} for a call at ${started}`,
    );
    assert.equal(f.calls.length, 0, "no call without a token");
  });
});
