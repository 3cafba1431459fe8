import { strict as assert } from "node:assert";
import { randomUUID } from "node:crypto";
import {
  apiLogItem,
  correlationIdOf,
  MAX_PROBLEMS,
  MAX_REQUEST_FIELDS,
  fieldLabel,
  looksLikePan,
  parseCreatePayment,
} from "../../../pipelines/functions/src/lib/payment";

const valid = {
  merchantId: 42,
  paymentMethodId: 7,
  idempotencyKey: "order-1001",
  amountMinor: 1999,
  currencyCode: "EUR",
};

describe("functions: payment API contract", () => {
  it("accepts a valid request with the fields as sent", () => {
    const r = parseCreatePayment(valid);
    assert.ok(r.ok);
    assert.deepEqual(r.request, valid);
  });

  const bad: [string, unknown, RegExp][] = [
    ["a non-object body", "[]", /body must be a JSON object/],
    ["a fractional amount", { ...valid, amountMinor: 19.99 }, /amountMinor must be a positive integer/],
    ["a zero amount", { ...valid, amountMinor: 0 }, /amountMinor must be a positive integer/],
    ["a lower-case currency", { ...valid, currencyCode: "eur" }, /currencyCode must be an ISO 4217 code/],
    ["a long idempotency key", { ...valid, idempotencyKey: "k".repeat(65) }, /idempotencyKey must be 1-64/],
    ["a string merchant id", { ...valid, merchantId: "42" }, /merchantId must be a positive integer/],
    ["an unknown field", { ...valid, note: "x" }, /note is not a field of the request/],
    ["a card number anywhere", { ...valid, note: "4111 1111 1111 1111" }, /note looks like a card number/],
    ["a card number after a word", { ...valid, note: "card 4111111111111111" }, /note looks like a card number/],
    ["a card number in dotted groups", { ...valid, note: "4111.1111.1111.1111" }, /note looks like a card number/],
    ["a card number as a number", { ...valid, paymentMethodId: 4111111111111111 }, /paymentMethodId looks like a card/],
    [
      "an id of 13 digits",
      { ...valid, merchantId: 1_000_000_000_000 },
      /merchantId must be a positive integer of at most 12 digits/,
    ],
    [
      "an amount of 13 digits",
      { ...valid, amountMinor: 1_000_000_000_000 },
      /amountMinor must be a positive integer of at most 12 digits/,
    ],
  ];
  for (const [title, body, pattern] of bad) {
    it(`rejects ${title}, naming the field`, () => {
      const r = parseCreatePayment(typeof body === "string" ? JSON.parse(body) : body);
      assert.equal(r.ok, false);
      assert.ok(!r.ok && r.problems.some((p) => pattern.test(p)), JSON.stringify(!r.ok && r.problems));
    });
  }

  it("logs identifiers and outcome only, with the latency and a correlation id", () => {
    const item = apiLogItem({
      invocationId: "inv-1",
      merchantId: 42,
      endpoint: "POST /api/payments",
      method: "POST",
      statusCode: 202,
      startedAt: new Date("2026-12-02T10:00:00.000Z"),
      finishedAt: new Date("2026-12-02T10:00:00.037Z"),
      idempotencyKey: "order-1001",
    });
    assert.deepEqual(item, {
      id: "inv-1",
      merchantId: "42",
      timestamp: "2026-12-02T10:00:00.037Z",
      endpoint: "POST /api/payments",
      method: "POST",
      statusCode: 202,
      latencyMs: 37,
      correlationId: "inv-1",
      idempotencyKey: "order-1001",
    });
    assert.equal(
      apiLogItem({ ...item, invocationId: "x", merchantId: undefined, startedAt: new Date(), finishedAt: new Date() })
        .merchantId,
      "unknown",
    );
  });

  it("keeps card numbers out of the API log: field names and the correlation id are checked too", () => {
    assert.ok(looksLikePan("4111 1111 1111 1111") && looksLikePan("4111-1111-1111-1111"));
    assert.ok(looksLikePan("card 4111111111111111"), "a word before it keeps its boundary");
    assert.ok(looksLikePan("4222222222222"), "13 digits (the shortest card numbers)");
    assert.ok(!looksLikePan("422222222222"), "12 digits");
    assert.ok(looksLikePan("6011000000000000001"), "19 digits");
    assert.ok(!looksLikePan("6011000000000000004"), "19 digits that fail the Luhn check");
    assert.equal(fieldLabel("acct123456"), "a field whose name is not an identifier", "a name with 6 digits in a row");
    assert.equal(fieldLabel("acct12345"), "acct12345");
    assert.ok(looksLikePan("4111_1111_1111_1111") && looksLikePan("4111.1111.1111.1111"));
    assert.ok(looksLikePan("card_4111111111111111") && looksLikePan("x4111111111111111y"), "glued to letters");
    for (const glued of [
      "cc4111111111111111",
      "cafe4111111111111111",
      "id-abcdef4111111111111111",
      "4111111111111111e",
    ])
      assert.ok(looksLikePan(glued), `glued to hex letters: ${glued}`);
    assert.ok(looksLikePan("ref 12 4111111111111111"), "a number before it does not hide it");
    assert.ok(!looksLikePan("order_2026120412345678"), "not a Luhn-valid number");
    assert.ok(!looksLikePan("order-1733325872000"), "epoch milliseconds (no card brand starts with 1)");
    assert.ok(!looksLikePan("9999999999999995"), "no card brand starts with 9");
    // Every brand's test numbers, also written in groups next to other numbers.
    for (const pan of [
      "378282246310005",
      "5500005555555559",
      "2223003122003222",
      "6011111111111117",
      "3530111333300000",
      "8171999900000018",
    ])
      assert.ok(looksLikePan(pan) && looksLikePan(`ref 12 ${pan.replace(/(\d{4})(?=\d)/g, "$1 ")} exp 12 26`), pan);
    // Year-prefixed order numbers and hex identifiers (dashless UUIDs, hashes) are keys, not card numbers.
    for (const key of [
      "ORD-2026-475281203",
      "2026-08-01-470408",
      "order_20260213183201",
      "6320353006824fed8f78330835fc503a",
    ])
      assert.ok(!looksLikePan(key), key);
    assert.ok(!looksLikePan("2026-12-04") && !looksLikePan("999999999999"), "a date, 12 digits");
    assert.ok(parseCreatePayment({ ...valid, merchantId: 999_999_999_999, amountMinor: 999_999_999_999 }).ok);
    assert.ok(!looksLikePan("0f8fad5b-d9cb-469f-a165-70867728950e"), "a UUID is not a card number");
    assert.ok(!looksLikePan("fd720823-b6cd-490c-9484-274081935147"), "nor one whose digit groups join into 16 digits");
    assert.ok(!looksLikePan("order_0f8fad5b-d9cb-469f-a165-70867728950e"), "a UUID after a separator is still one");
    // A body of many fields is refused as a whole, and the problems listed are bounded either way (the answer and its
    // API log item: a 128 KB body of short fields made a ~1 MB item, ~625 RU).
    const many: Record<string, unknown> = { ...valid };
    for (let i = 0; i < 12_598; i++) many[`f${i.toString(36)}`] = 4_222_222_222_222;
    assert.deepEqual(parseCreatePayment(many), {
      ok: false,
      problems: [`body has ${12_598 + 5} fields; a payment request has 5 (at most ${MAX_REQUEST_FIELDS} are read)`],
    });
    const some: Record<string, unknown> = { ...valid };
    for (let i = 0; i < MAX_REQUEST_FIELDS - 5; i++) some[`f${i}`] = 4_222_222_222_222;
    const bounded = parseCreatePayment(some);
    assert.ok(!bounded.ok);
    assert.equal(bounded.problems.length, MAX_PROBLEMS);
    assert.equal(
      bounded.problems[MAX_PROBLEMS - 1],
      `and ${2 * (MAX_REQUEST_FIELDS - 5) - MAX_PROBLEMS + 1} more problems`,
    );
    // A card number glued to UUID-shaped groups is no UUID: the exemption would have blanked part of it.
    for (const key of [
      "4111111111111111-0000-0000-0000-000000000042",
      "5555555555554444-2026-1205-0001-000000000017",
      "00000000-0000-0000-0000-4111111111111111",
    ]) {
      assert.ok(looksLikePan(key), key);
      assert.ok(!parseCreatePayment({ ...valid, idempotencyKey: key }).ok, key);
      assert.equal(correlationIdOf(key, "inv"), "inv", key);
    }
    // Keys merchants commonly send are never refused: random UUIDs and epoch-millisecond order numbers.
    for (let i = 0; i < 20_000; i++) assert.ok(!looksLikePan(randomUUID()), "a random UUID");
    for (let ms = 1_700_000_000_000; ms < 1_700_000_020_000; ms += 7) assert.ok(!looksLikePan(`order-${ms}`));
    // A card number as a field name: refused, and never repeated in the problems.
    const r = parseCreatePayment({ ...valid, "4111111111111111": "x", note: 1, "acct 12345678": 2 });
    assert.ok(!r.ok);
    assert.ok(
      r.problems.every((p) => !/\d{6}/.test(p)),
      r.problems.join("; "),
    );
    assert.ok(r.problems.includes("note is not a field of the request"));
    assert.ok(r.problems.some((p) => /^a field whose name is not an identifier looks like a card number/.test(p)));
    assert.equal(fieldLabel("merchantId"), "merchantId");
    // A card number in a name, in groups that pass the name rules: refused and never repeated either.
    for (const name of ["card_4111_1111_1111_1111", "x4111_1111_1111_1111"]) {
      const grouped = parseCreatePayment({ ...valid, [name]: "x" });
      assert.ok(!grouped.ok);
      assert.ok(
        grouped.problems.every((p) => !p.includes("4111")),
        grouped.problems.join("; "),
      );
      assert.equal(fieldLabel(name), "a field whose name is not an identifier");
    }
    // The caller's correlation id is kept only when it is a short token that cannot be a card number.
    assert.equal(
      correlationIdOf("7f3c9a2e-5b1d-4c8e-9f00-1a2b3c4d5e6f", "inv-1"),
      "7f3c9a2e-5b1d-4c8e-9f00-1a2b3c4d5e6f",
    );
    assert.equal(correlationIdOf("4111-1111-1111-1111", "inv-1"), "inv-1");
    // Colons are a correlation id's separators too: a card number grouped with them is screened.
    assert.equal(correlationIdOf("req:5555:5555:5555:4444", "inv-1"), "inv-1");
    assert.equal(correlationIdOf("req:2026:12:05", "inv-1"), "req:2026:12:05");
    assert.equal(correlationIdOf("customer jane@example.com", "inv-1"), "inv-1");
    assert.equal(correlationIdOf(null, "inv-1"), "inv-1");
  });
});
