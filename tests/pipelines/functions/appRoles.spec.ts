/**
 * What each app registers (pipelines/functions/src/index.ts): the role setting decides which functions an app runs,
 * so the scorer never serves HTTP and the payment API never runs the SQL trigger or the merchant refresh.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as functions from "@azure/functions";
import { PAYMENT_API_PUBLIC_PATHS } from "../../../components/ingestion/gateway";

const KINDS = ["http", "sql", "timer", "cosmosDB", "eventHub", "setup"] as const;
const INDEX = require.resolve("../../../pipelines/functions/src/index");

describe("functions: what each app role registers", () => {
  const app = functions.app as unknown as Record<string, unknown>;
  const saved = new Map<string, PropertyDescriptor | undefined>();
  const registered: string[] = [];
  const routes: string[] = [];
  const role = process.env.FUNCTIONS_APP_ROLE;
  before(() => {
    // Some are getters (setup): replaced and restored by their descriptors.
    for (const k of KINDS) {
      saved.set(k, Object.getOwnPropertyDescriptor(app, k));
      Object.defineProperty(app, k, {
        configurable: true,
        writable: true,
        value: (name: unknown, options?: { route?: unknown }) => {
          registered.push(`${k}:${typeof name === "string" ? name : ""}`);
          if (k === "http") routes.push(String(options?.route));
        },
      });
    }
  });
  after(() => {
    for (const k of KINDS) {
      const d = saved.get(k);
      if (d) Object.defineProperty(app, k, d);
    }
    if (role === undefined) delete process.env.FUNCTIONS_APP_ROLE;
    else process.env.FUNCTIONS_APP_ROLE = role;
    delete require.cache[INDEX];
  });
  const load = (r: string, env: Record<string, string> = {}) => {
    registered.length = 0;
    routes.length = 0;
    const before = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env, { FUNCTIONS_APP_ROLE: r });
    try {
      delete require.cache[INDEX];
      require(INDEX);
    } finally {
      for (const [k, v] of Object.entries(before))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
    return registered.filter((x) => !x.startsWith("setup:")).sort();
  };

  it("fraud-scoring: the SQL-triggered scorer and the once-a-minute merchant refresh, no HTTP", () => {
    assert.deepEqual(load("fraud-scoring"), ["sql:scorePayment", "timer:refreshMerchantFeatures"]);
  });
  it("payment-api: the payments route and its health probe only", () => {
    assert.deepEqual(load("payment-api"), ["http:createPayment", "http:health"]);
  });
  it("payment-api: its routes are exactly the gateway's public paths (the WAF refuses every other path)", () => {
    load("payment-api");
    // The host's default route prefix `api` (host.json sets no extensions.http.routePrefix).
    const host = JSON.parse(
      fs.readFileSync(path.join(__dirname, "../../../pipelines/functions/host.json"), "utf8"),
    ) as { extensions?: { http?: { routePrefix?: string } } };
    assert.equal(host.extensions?.http?.routePrefix, undefined);
    assert.deepEqual(routes.map((r) => `/api/${r}`).sort(), [...PAYMENT_API_PUBLIC_PATHS].sort());
  });
  it("streaming: the change-feed relay and the Synapse loader, no HTTP", () => {
    // The loader reads its settings when it registers (as the host starts it).
    const synapse = {
      SYNAPSE_SQL_ENDPOINT: "ws.sql.azuresynapse.net",
      SYNAPSE_SQL_POOL: "dw",
      IDENTITY_ENDPOINT: "http://localhost/msi",
      IDENTITY_HEADER: "h",
      AZURE_CLIENT_ID: "client",
    };
    assert.deepEqual(load("streaming", synapse), ["cosmosDB:relayApiLogs", "eventHub:loadApiPerformance"]);
  });
  it("streaming: a missing Synapse setting still registers the relay (and the loader, whose runs fail naming it)", () => {
    const error = console.error;
    console.error = () => undefined;
    try {
      const env = { SYNAPSE_SQL_ENDPOINT: "", SYNAPSE_SQL_POOL: "" };
      assert.deepEqual(load("streaming", env), ["cosmosDB:relayApiLogs", "eventHub:loadApiPerformance"]);
    } finally {
      console.error = error;
    }
  });
  it("an unknown role is refused, naming the roles", () => {
    assert.throws(
      () => load("scorer"),
      /FUNCTIONS_APP_ROLE must be one of payment-api, fraud-scoring, streaming; got 'scorer'/,
    );
  });
});
