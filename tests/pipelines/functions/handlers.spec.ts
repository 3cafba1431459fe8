import { strict as assert } from "node:assert";
import { newPayments, scorePayment } from "../../../pipelines/functions/src/functions/fraudScoring";
import { change, fakeContext, payment, scoringEnv } from "./fakes";

const env = scoringEnv;

describe("functions: fraud scoring trigger", () => {
  it("scores every inserted payment, also one whose status moved on before the poll (the trigger folds changes)", () => {
    const rows = newPayments([
      change(payment({ PaymentId: 1 })),
      change(payment({ PaymentId: 2 }), 1),
      change(payment({ PaymentId: 3, Status: "captured" })),
      change(payment({ PaymentId: 4 }), 2),
    ]);
    assert.deepEqual(
      rows.map((r) => r.PaymentId),
      [1, 3],
    );
  });

  it("reads features, scores with the endpoint, writes features and webhook events, and no second API log", async () => {
    const urls: string[] = [];
    const fetchFn = async (url: string) => {
      urls.push(url);
      if (url.startsWith("http://localhost/msi"))
        return new Response(JSON.stringify({ access_token: "t", expires_on: "9999999999" }));
      if (url.includes("/docs/")) return new Response("", { status: 404 });
      return new Response(JSON.stringify([0.95]));
    };
    const { context, outputs, warnings, logs } = fakeContext();
    await scorePayment([change(payment({ PaymentId: 5 }))], context, {
      env,
      fetch: fetchFn,
      now: () => new Date("2026-12-02T10:00:00Z"),
    });
    assert.deepEqual(warnings, []);
    // The business workbook's fraud detection rate reads this line (AppTraces).
    assert.deepEqual(logs, ["payment.scored decision=decline model=azureml"]);
    assert.ok(
      urls.includes("https://acct.documents.azure.com/dbs/payments/colls/fraud_features/docs/paymentMethod%3A7"),
    );
    assert.ok(urls.includes(env.FRAUD_SCORING_URI));
    const features = outputs.get("%COSMOS_CONTAINER_FRAUD_FEATURES%") as { entityKey: string; paymentsSeen: number }[];
    assert.deepEqual(
      features.map((f) => [f.entityKey, f.paymentsSeen]),
      // The card only: the merchant's item has one writer, the once-a-minute refresh.
      [["paymentMethod:7", 1]],
    );
    const [event] = outputs.get("%COSMOS_CONTAINER_WEBHOOK_EVENTS%") as {
      payload: { decision: string; model: string };
    }[];
    assert.deepEqual([event.payload.decision, event.payload.model], ["decline", "azureml"]);
    // The payment API logs the call once; a log here would double api_logs and the relay's Event Hubs events.
    assert.deepEqual([...outputs.keys()].sort(), [
      "%COSMOS_CONTAINER_FRAUD_FEATURES%",
      "%COSMOS_CONTAINER_WEBHOOK_EVENTS%",
    ]);
  });

  it("a feature read that keeps failing sends its payments to review instead of failing the batch (never dropped)", async () => {
    const fetchFn = async (url: string) => {
      if (url.startsWith("http://localhost/msi"))
        return new Response(JSON.stringify({ access_token: "t", expires_on: "9999999999" }));
      // The card's item cannot be read; the merchant's is simply absent.
      if (url.includes("/docs/paymentMethod")) return new Response("", { status: 503 });
      if (url.includes("/docs/")) return new Response("", { status: 404 });
      return new Response(JSON.stringify([0.1]));
    };
    const { context, outputs, warnings, logs } = fakeContext();
    await scorePayment([change(payment({ PaymentId: 6 }))], context, { env, fetch: fetchFn, now: () => new Date() });
    assert.match(warnings[0], /features of paymentMethod:7 unavailable, its payments go to review: .*503/);
    // Scored all the same (the SQL trigger would drop the row after five failed runs), but never approved blind.
    assert.deepEqual(logs, ["payment.scored decision=review model=azureml"]);
    const [event] = outputs.get("%COSMOS_CONTAINER_WEBHOOK_EVENTS%") as { payload: { decision: string } }[];
    assert.equal(event.payload.decision, "review");
    // The card's item is not rewritten from an empty state (that would erase its history).
    assert.deepEqual(outputs.get("%COSMOS_CONTAINER_FRAUD_FEATURES%"), []);
  });

  it("falls back to the rules model when the endpoint fails, and says so", async () => {
    const fetchFn = async (url: string) => {
      if (url.startsWith("http://localhost/msi"))
        return new Response(JSON.stringify({ access_token: "t", expires_on: "9999999999" }));
      if (url.includes("/docs/")) return new Response("", { status: 404 });
      return new Response("", { status: 503 });
    };
    const { context, outputs, warnings } = fakeContext();
    await scorePayment([change(payment())], context, { env, fetch: fetchFn, now: () => new Date() });
    assert.match(warnings[0], /rules model used: scoring endpoint answered 503/);
    const [event] = outputs.get("%COSMOS_CONTAINER_WEBHOOK_EVENTS%") as { payload: { model: string } }[];
    assert.equal(event.payload.model, "rules");
  });
});
