import { strict as assert } from "node:assert";
import type { HttpRequest } from "@azure/functions";
import { MERCHANT_CERTIFICATE_HEADERS } from "../../../components/ingestion/gateway";
import {
  CLIENT_CERTIFICATE_HEADERS,
  commonName,
  MERCHANT_AUTHENTICATION_MODES,
  MERCHANT_AUTHENTICATION_SETTING,
  merchantAuthenticationMode,
  merchantFromCertificate,
} from "../../../pipelines/functions/src/lib/merchantAuth";
import { fakeContext, fakePaymentTable, paymentApiOver } from "./fakes";
import { isRequestNumber, MAX_REQUEST_NUMBER } from "../../../pipelines/functions/src/lib/payment";
import { paymentHandler } from "../../../pipelines/functions/src/functions/paymentApi";
import type { PaymentWriter, StoredPaymentRow } from "../../../pipelines/functions/src/lib/paymentStore";

/** The headers the gateway sets after verifying a client certificate. */
const verified = (subject: string, verification = "SUCCESS") => ({
  [CLIENT_CERTIFICATE_HEADERS.verification]: verification,
  [CLIENT_CERTIFICATE_HEADERS.subject]: subject,
});
const lookup = (h: Record<string, string>) => (name: string) => h[name];

describe("functions: merchant authentication (client certificate verified by the gateway)", () => {
  it("reads the headers the gateway's rewrite rule sets", () => {
    assert.deepEqual(
      Object.values(CLIENT_CERTIFICATE_HEADERS),
      [MERCHANT_CERTIFICATE_HEADERS.verification.header, MERCHANT_CERTIFICATE_HEADERS.subject.header].map((h) =>
        h.toLowerCase(),
      ),
    );
  });

  it("fails closed: only an explicit `none` turns authentication off", () => {
    assert.equal(merchantAuthenticationMode({}), "client-certificate");
    assert.equal(merchantAuthenticationMode({ [MERCHANT_AUTHENTICATION_SETTING]: "off" }), "client-certificate");
    assert.equal(merchantAuthenticationMode({ [MERCHANT_AUTHENTICATION_SETTING]: "none" }), "none");
    assert.deepEqual([...MERCHANT_AUTHENTICATION_MODES], ["client-certificate", "none"]);
  });

  it("takes the one common name of an RFC 4514 subject, escapes and hex pairs unescaped", () => {
    assert.equal(commonName("CN=merchant-42,O=Contoso"), "merchant-42");
    assert.equal(commonName("C=FR, O=Contoso\\, Ltd, CN=merchant-7"), "merchant-7");
    assert.equal(commonName("cn=merchant-9+serialNumber=9"), "merchant-9");
    assert.equal(commonName("O=Contoso"), undefined);
    assert.equal(commonName("/O=Contoso/CN=merchant-9"), undefined, "not a DN string");
    assert.equal(commonName("CN=merchant-1,CN=merchant-2"), undefined, "two common names: ambiguous");
  });

  it("cannot be fooled by escapes or a second header value into another merchant's name", () => {
    // An escaped backslash ends the value: the CN after it is a second CN, so the subject is ambiguous.
    assert.equal(commonName("CN=merchant-1,OU=x\\\\,CN=merchant-99,O=Contoso"), undefined);
    // Two values of one header, joined by the Fetch API.
    assert.equal(commonName("CN=merchant-1,O=x\\\\, CN=merchant-99"), undefined);
    // An escaped comma or a hex-escaped one stays inside its value.
    assert.equal(commonName("CN=merchant-1,OU=x\\,CN=merchant-99"), "merchant-1");
    const hex = merchantFromCertificate("client-certificate", lookup(verified("CN=merchant-1\\2CCN=merchant-99")));
    assert.ok(!hex.ok && hex.status === 403);
  });

  it("takes the merchant ids the API's body takes (12 digits: BIGINT keys) and no longer ones", () => {
    const of = (cn: string) => merchantFromCertificate("client-certificate", lookup(verified(`CN=${cn},O=Contoso`)));
    // Past INT: dbo.Merchant's key and the warehouse's MerchantKey are BIGINT.
    assert.deepEqual(of("merchant-2147483648"), { ok: true, merchantId: 2_147_483_648 });
    assert.deepEqual(of(`merchant-${MAX_REQUEST_NUMBER}`), { ok: true, merchantId: MAX_REQUEST_NUMBER });
    assert.ok(isRequestNumber(MAX_REQUEST_NUMBER) && !isRequestNumber(MAX_REQUEST_NUMBER + 1));
    for (const cn of [`merchant-${MAX_REQUEST_NUMBER + 1}`, "merchant-4111111111111111", "merchant-012"]) {
      const v = of(cn);
      assert.ok(!v.ok && v.status === 403 && v.error === "not_a_merchant_certificate", cn);
    }
  });

  it("names the merchant of a verified certificate", () => {
    assert.deepEqual(merchantFromCertificate("client-certificate", lookup(verified("CN=merchant-42,O=Contoso"))), {
      ok: true,
      merchantId: 42,
    });
    assert.deepEqual(merchantFromCertificate("none", lookup({})), { ok: true, merchantId: undefined });
  });

  it("refuses a missing or failed certificate (401) and one that names no merchant (403)", () => {
    const verdict = (h: Record<string, string>) => merchantFromCertificate("client-certificate", lookup(h));
    assert.deepEqual(
      [verdict({})].map((v) => !v.ok && [v.status, v.error]),
      [[401, "client_certificate_required"]],
    );
    const failed = verdict(verified("CN=merchant-42", "FAILED:certificate has expired"));
    assert.ok(!failed.ok && failed.status === 401);
    assert.equal(failed.detail, "a merchant client certificate is required (gateway verification: failed)");
    // The header's text never reaches the detail (api_logs and the response): a caller around the gateway writes it.
    for (const [header, label] of [
      ["NONE", "none presented"],
      ["FAILED", "failed"],
      ["FAILED:unable to get issuer certificate", "failed"],
      ["4111111111111111", "unrecognised"],
      ["x".repeat(5000), "unrecognised"],
      ["FAILEDX 4111111111111111", "unrecognised"],
    ]) {
      const v = verdict(verified("CN=merchant-42", header));
      assert.ok(!v.ok && v.status === 401, header.slice(0, 20));
      assert.equal(v.detail, `a merchant client certificate is required (gateway verification: ${label})`);
    }
    for (const subject of ["CN=merchant-0", "CN=merchant-42x", "CN=admin", "CN=merchant-9999999999999", "O=Contoso"]) {
      const v = verdict(verified(subject));
      assert.ok(!v.ok && v.status === 403 && v.error === "not_a_merchant_certificate", subject);
    }
  });

  describe("POST /api/payments", () => {
    const body = {
      merchantId: 42,
      paymentMethodId: 7,
      idempotencyKey: "order-1",
      amountMinor: 1999,
      currencyCode: "EUR",
    };
    const call = async (headers: Record<string, string>, mode?: string, json: unknown = body) => {
      const { context, outputs } = fakeContext();
      const table = fakePaymentTable();
      const res = await paymentApiOver(table, mode === undefined ? {} : { [MERCHANT_AUTHENTICATION_SETTING]: mode })(
        { json: async () => json, headers: new Headers(headers) } as unknown as HttpRequest,
        context,
      );
      return { res, payment: table.inserts[0], log: outputs.get("%COSMOS_CONTAINER_API_LOGS%") };
    };

    it("refuses a new payment of a merchant not active (403) or in a currency no longer offered (422), inserts nothing, answers a retry", async () => {
      const run = async (table: ReturnType<typeof fakePaymentTable>, json: unknown = body) => {
        const { context } = fakeContext();
        return paymentApiOver(table, { [MERCHANT_AUTHENTICATION_SETTING]: "client-certificate" })(
          { json: async () => json, headers: new Headers(verified("CN=merchant-42")) } as unknown as HttpRequest,
          context,
        );
      };
      const suspended = fakePaymentTable({ merchants: [42] });
      const res = await run(suspended);
      assert.deepEqual([res.status, (res.jsonBody as { error: string }).error], [403, "merchant_not_active"]);
      assert.equal(suspended.inserts.length, 0);
      const retired = fakePaymentTable({ currencies: ["EUR"] });
      const cur = await run(retired);
      assert.deepEqual([cur.status, (cur.jsonBody as { error: string }).error], [422, "currency_not_active"]);
      assert.equal(retired.inserts.length, 0);
      // A payment stored before the suspension: its retry is still answered (200, the same payment).
      const table = fakePaymentTable();
      assert.equal((await run(table)).status, 202);
      const later = fakePaymentTable({ merchants: [42] });
      for (const [k, v] of table.rows) later.rows.set(k, v);
      assert.equal((await run(later)).status, 200);
    });

    it("warns once per instance while the merchant and currency cannot be checked (the access script's grants missing)", async () => {
      const table = fakePaymentTable();
      const write: PaymentWriter = async (r, t) =>
        ({ ...(await table.write(r, t)), Unchecked: true }) as StoredPaymentRow;
      const api = paymentHandler({
        env: { [MERCHANT_AUTHENTICATION_SETTING]: "client-certificate" },
        writer: () => write,
        clock: () => 0,
      });
      const warned: string[] = [];
      for (const key of ["order-1", "order-2"]) {
        const { context, warnings } = fakeContext();
        const res = await api(
          {
            json: async () => ({ ...body, idempotencyKey: key }),
            headers: new Headers(verified("CN=merchant-42")),
          } as unknown as HttpRequest,
          context,
        );
        assert.equal(res.status, 202, "the foreign keys alone decide, as before");
        warned.push(...warnings.filter((w) => w.includes("not checked")));
      }
      assert.equal(warned.length, 1, "once per instance");
      assert.match(warned[0], /run pipelines\/functions\/sql\/flow1_access\.sql/);
    });

    it("inserts the payment of the certificate's merchant", async () => {
      const { res, payment } = await call(verified("CN=merchant-42,O=Contoso"), "client-certificate");
      assert.equal(res.status, 202);
      assert.equal(payment?.merchantId, 42);
    });

    it("refuses, and logs, a payment for another merchant or without a certificate; inserts nothing", async () => {
      const other = await call(verified("CN=merchant-43"), "client-certificate");
      assert.equal(other.res.status, 403);
      assert.equal((other.res.jsonBody as { error: string }).error, "merchant_mismatch");
      assert.equal(other.payment, undefined);
      assert.deepEqual(
        [(other.log as { merchantId: string }).merchantId, (other.log as { statusCode: number }).statusCode],
        ["43", 403],
      );
      // A client cannot claim to be verified by sending the header itself: without the setting the app fails closed,
      // and the gateway overwrites the header on every request (components/ingestion/gateway.ts).
      const none = await call({}, undefined);
      assert.equal(none.res.status, 401);
      assert.equal(none.payment, undefined);
    });

    it("authenticates before it validates: a bad body without a certificate is a 401, not a 400", async () => {
      assert.equal((await call({}, "client-certificate", { merchantId: "x" })).res.status, 401);
      assert.equal((await call(verified("CN=merchant-42"), "client-certificate", { merchantId: "x" })).res.status, 400);
    });

    it("with `none` (no authority configured), takes the body's merchant as it is", async () => {
      const { res, payment } = await call({}, "none");
      assert.equal(res.status, 202);
      assert.equal(payment?.merchantId, 42);
    });
  });
});
