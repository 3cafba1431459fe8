/**
 * The online feature store (fraud_features container, partition key /entityKey): one item per entity the scorer
 * tracks — the payment method (a tokenised card) and the merchant — with time-decayed velocity counters and an
 * exponentially weighted average amount. A card's item is updated by the scorer with every payment; a merchant's by
 * the once-a-minute merchant refresh (mergeMerchantWindow). Pure: no I/O.
 */
import type { PaymentChangeRow } from "./payment";

export type EntityType = "paymentMethod" | "merchant";

export interface FeatureItem {
  /** Item id = entity key (point reads by id + partition key). */
  readonly id: string;
  readonly entityKey: string;
  readonly entityType: EntityType;
  /** Time-decayed payment counts (half-life one hour / one day): a velocity estimate. */
  readonly count1h: number;
  readonly count24h: number;
  /** EWMA of the amount in minor units, per the entity's last currency. */
  readonly amountEwma: number;
  readonly lastCurrency: string;
  readonly lastPaymentAt: string;
  readonly paymentsSeen: number;
  readonly updatedAt: string;
  /**
   * The payments already counted (a card's item only): the ids applied by writes within APPLIED_WINDOW_SECONDS of each
   * other (processing time), at most MAX_APPLIED_IDS, so a batch the SQL trigger runs again (after a failed write)
   * counts nothing twice.
   */
  readonly appliedPaymentIds?: readonly number[];
  /**
   * The decision each of those payments got, by id (`[score, decision, model]`), so a batch the trigger runs again
   * sends the same decision (its features now count the payment, and would judge it differently).
   */
  readonly appliedResults?: Readonly<Record<string, AppliedResult>>;
  /** Cosmos DB's version of the item as read (the condition of the next write); never written. */
  readonly _etag?: string;
}

/** A payment's score, decision and model as the scorer first decided them. */
export type AppliedResult = readonly [score: number, decision: string, model: string];

/** How long the ids of applied payments are kept: a failed batch runs again about a minute later (its leases expire). */
export const APPLIED_WINDOW_SECONDS = 600;
/**
 * At most this many ids on an item (the SQL trigger's largest batch). A longer burst on one card may count a re-run
 * twice: its velocity then reads higher, which errs towards review, never towards approval.
 */
export const MAX_APPLIED_IDS = 100;

const HOUR_S = 3600;
const DAY_S = 86400;
/** Weight of the newest amount in the EWMA. */
export const EWMA_ALPHA = 0.2;

export function entityKey(type: EntityType, id: number): string {
  return `${type}:${id}`;
}

/** The entities a payment updates. */
export function entitiesOf(p: PaymentChangeRow): { key: string; type: EntityType }[] {
  return [
    { key: entityKey("paymentMethod", p.PaymentMethodId), type: "paymentMethod" },
    { key: entityKey("merchant", p.MerchantId), type: "merchant" },
  ];
}

/**
 * When the payment happened, for its features: its `CreatedAt` (dbo.Payment's SYSUTCDATETIME(), which the SQL trigger
 * may send without an offset: read as UTC), never later than `now`, or `now` when it has none. Processing time would
 * judge a backlog (a restart, a stalled trigger) as one burst: six payments an hour apart scored together would read
 * five in the last hour.
 */
export function paymentTime(p: Pick<PaymentChangeRow, "CreatedAt">, now: Date): Date {
  const text = p.CreatedAt;
  if (typeof text !== "string" || text === "") return now;
  const utc = /(Z|[+-]\d{2}:?\d{2})$/i.test(text) ? text : `${text}Z`;
  const at = Date.parse(utc);
  return Number.isFinite(at) && at < now.getTime() ? new Date(at) : now;
}

/**
 * An item with the features of a history: a GDPR erasure leaves a short-lived stub (`{ id, entityKey, ttl: 1 }`,
 * pipelines/etl/erasure.ts) that a scorer may read within its second; it counts as no history at all.
 */
export function hasHistory(f: FeatureItem | undefined): f is FeatureItem {
  return f !== undefined && typeof f.count1h === "number" && Number.isFinite(Date.parse(f.lastPaymentAt));
}

/** A counter decayed over `elapsedSeconds` with the given half-life. */
export function decay(value: number, elapsedSeconds: number, halfLifeSeconds: number): number {
  if (elapsedSeconds <= 0) return value;
  return value * Math.pow(0.5, elapsedSeconds / halfLifeSeconds);
}

/** The entity's features after this payment (a new item when there is none yet). */
export function updateFeatures(
  read: FeatureItem | undefined,
  entity: { key: string; type: EntityType },
  p: PaymentChangeRow,
  now: Date,
  result?: AppliedResult,
): FeatureItem {
  const previous = hasHistory(read) ? read : undefined;
  // The results of exactly the ids kept (the new payment's when given), so the two never drift apart.
  const withResult = (ids: readonly number[], kept: FeatureItem["appliedResults"]) => {
    const entries = [
      ...ids.slice(0, -1).flatMap((id) => (kept?.[String(id)] ? [[String(id), kept[String(id)]] as const] : [])),
      ...(result === undefined ? [] : [[String(p.PaymentId), result] as const]),
    ];
    return { appliedResults: Object.fromEntries(entries) };
  };
  // The payment's own time for its counters; the processing time for `updatedAt`.
  const at = paymentTime(p, now).toISOString();
  const updatedAt = now.toISOString();
  if (!previous) {
    return {
      id: entity.key,
      entityKey: entity.key,
      entityType: entity.type,
      count1h: 1,
      count24h: 1,
      amountEwma: p.AmountMinor,
      lastCurrency: p.CurrencyCode,
      lastPaymentAt: at,
      paymentsSeen: 1,
      updatedAt,
      appliedPaymentIds: [p.PaymentId],
      ...withResult([p.PaymentId], undefined),
    };
  }
  const elapsed = (Date.parse(at) - Date.parse(previous.lastPaymentAt)) / 1000;
  const sameCurrency = previous.lastCurrency === p.CurrencyCode;
  // The ids are kept for the batch's re-runs, which come minutes after it was processed whatever the payments' own
  // times: the window runs on processing time (the item's last write), not on the payments'.
  const sinceWritten = (now.getTime() - Date.parse(previous.updatedAt)) / 1000;
  const applied = sinceWritten > APPLIED_WINDOW_SECONDS ? [] : (previous.appliedPaymentIds ?? []);
  const ids = [...applied.slice(-(MAX_APPLIED_IDS - 1)), p.PaymentId];
  return {
    ...previous,
    count1h: decay(previous.count1h, elapsed, HOUR_S) + 1,
    count24h: decay(previous.count24h, elapsed, DAY_S) + 1,
    // A currency change restarts the average (amounts in different minor units are not comparable).
    amountEwma: sameCurrency ? (1 - EWMA_ALPHA) * previous.amountEwma + EWMA_ALPHA * p.AmountMinor : p.AmountMinor,
    lastCurrency: p.CurrencyCode,
    // Another instance may have applied a later batch first: the item's time never moves back.
    lastPaymentAt: elapsed < 0 ? previous.lastPaymentAt : at,
    paymentsSeen: previous.paymentsSeen + 1,
    updatedAt,
    appliedPaymentIds: ids,
    ...withResult(ids, previous.appliedResults),
  };
}

/**
 * A card's item after the batch's payments of that card, skipping those it already counts (a batch run again);
 * undefined when there is nothing new to write.
 */
export function applyPayments(
  previous: FeatureItem | undefined,
  entity: { key: string; type: EntityType },
  payments: readonly PaymentChangeRow[],
  now: Date,
  resultOf: (p: PaymentChangeRow) => AppliedResult | undefined = () => undefined,
): FeatureItem | undefined {
  let item = previous;
  for (const p of payments) {
    if (item?.appliedPaymentIds?.includes(p.PaymentId)) continue;
    item = updateFeatures(item, entity, p, now, resultOf(p));
  }
  return item === previous ? undefined : item;
}

/**
 * Each payment's card as it stands just before that payment: the state read before the batch, plus the batch's earlier
 * payments of the same card, in PaymentId order (the order they were inserted). Without it, a burst on one card inside
 * one batch (card testing: twenty tries within one 100 ms poll) would be judged twenty times as the card's first
 * payment. A payment the card already counts (a batch run again) is not counted twice. Aligned with `payments`.
 */
export function cardStatesBefore(
  payments: readonly PaymentChangeRow[],
  read: (cardKey: string) => FeatureItem | undefined,
  now: Date,
): (FeatureItem | undefined)[] {
  const before: (FeatureItem | undefined)[] = new Array<FeatureItem | undefined>(payments.length);
  const running = new Map<string, FeatureItem | undefined>();
  const order = payments.map((_, i) => i).sort((a, b) => payments[a].PaymentId - payments[b].PaymentId);
  for (const i of order) {
    const p = payments[i];
    const [card] = entitiesOf(p);
    const current = running.has(card.key) ? running.get(card.key) : read(card.key);
    before[i] = current;
    running.set(
      card.key,
      current?.appliedPaymentIds?.includes(p.PaymentId) ? current : updateFeatures(current, card, p, now),
    );
  }
  return before;
}

/** The model's input: numbers only, in a fixed order (the ML endpoint's contract, see README). */
export interface FeatureVector {
  readonly amountMinor: number;
  /** Amount relative to the card's average (1 = usual; 0 without history). */
  readonly amountRatioCard: number;
  readonly amountRatioMerchant: number;
  readonly cardCount1h: number;
  readonly cardCount24h: number;
  readonly merchantCount1h: number;
  /** 1 when the card has never been seen, else 0. */
  readonly newCard: number;
  /** 1 when the card last paid in another currency. */
  readonly currencyChange: number;
  /** Seconds since the card's previous payment (capped at 30 days; -1 without history). */
  readonly secondsSinceLastCard: number;
}

export const FEATURE_ORDER: readonly (keyof FeatureVector)[] = [
  "amountMinor",
  "amountRatioCard",
  "amountRatioMerchant",
  "cardCount1h",
  "cardCount24h",
  "merchantCount1h",
  "newCard",
  "currencyChange",
  "secondsSinceLastCard",
];

/** Features of a payment from the entities' state *before* it (what the model must judge it against). */
export function featureVector(
  p: PaymentChangeRow,
  cardRead: FeatureItem | undefined,
  merchantRead: FeatureItem | undefined,
  now: Date,
): FeatureVector {
  const card = hasHistory(cardRead) ? cardRead : undefined;
  const merchant = hasHistory(merchantRead) ? merchantRead : undefined;
  // Measured at the payment's own time: a backlog scored late reads as it was, not as one burst.
  const t = paymentTime(p, now).getTime();
  const ratio = (f: FeatureItem | undefined) =>
    f && f.lastCurrency === p.CurrencyCode && f.amountEwma > 0 ? p.AmountMinor / f.amountEwma : 0;
  // Never negative: another instance may have counted a later payment of the card first.
  const since = (f: FeatureItem | undefined) => (f ? Math.max(0, (t - Date.parse(f.lastPaymentAt)) / 1000) : -1);
  const cardSince = since(card);
  return {
    amountMinor: p.AmountMinor,
    amountRatioCard: ratio(card),
    amountRatioMerchant: ratio(merchant),
    cardCount1h: card ? decay(card.count1h, cardSince, HOUR_S) : 0,
    cardCount24h: card ? decay(card.count24h, cardSince, DAY_S) : 0,
    merchantCount1h: merchant ? decay(merchant.count1h, since(merchant), HOUR_S) : 0,
    newCard: card ? 0 : 1,
    currencyChange: card && card.lastCurrency !== p.CurrencyCode ? 1 : 0,
    secondsSinceLastCard: cardSince < 0 ? -1 : Math.min(cardSince, 30 * DAY_S),
  };
}

/**
 * One window of a merchant's payments in one currency, as the merchant refresh aggregates them from dbo.Payment
 * (src/functions/merchantFeatures.ts).
 */
export interface MerchantWindowRow {
  readonly merchantId: number;
  readonly currencyCode: string;
  readonly payments: number;
  /** Sum of AmountMinor. */
  readonly amountSum: number;
  /** ISO times of the window's first and last payment. */
  readonly firstCreatedAt: string;
  readonly lastCreatedAt: string;
}

/** A merchant's item: a feature item plus the last dbo.Payment id its counts include (the refresh's window end). */
export interface MerchantItem extends FeatureItem {
  readonly windowUpTo: number;
}

/**
 * The average of 2^(−age/halfLife) over payments spread evenly across `spanSeconds` before the last one: what n such
 * payments add to a decayed counter at the last one's time is n × this (1 for a window of one instant).
 */
export function spreadDecay(spanSeconds: number, halfLifeSeconds: number): number {
  if (spanSeconds <= 0) return 1;
  const x = (spanSeconds / halfLifeSeconds) * Math.LN2;
  return (1 - Math.exp(-x)) / x;
}

/**
 * A merchant's item after a window of its payments (all rows of one merchant, payments up to `windowUpTo`). The
 * scorer reads merchant items and never writes them: a merchant is a heavy hitter, so its aggregates are written
 * once per window by one writer (docs/cosmos-partitioning.md). Counters decay to the window's last payment and add
 * its payments, each decayed from its place in the window (spread evenly between its first and last). The amount
 * EWMA takes the window's mean in its currency with the weight its payments would have had one by one
 * (1 − (1 − α)^n): the item's currency while the window has payments in it, else the window's main currency, which
 * restarts the average, as for a card.
 */
export function mergeMerchantWindow(
  previous: FeatureItem | undefined,
  merchantId: number,
  rows: readonly MerchantWindowRow[],
  windowUpTo: number,
  now: Date,
): MerchantItem {
  if (rows.length === 0 || rows.some((r) => r.merchantId !== merchantId))
    throw new Error(`mergeMerchantWindow: rows must be merchant ${merchantId}'s, and at least one`);
  const key = entityKey("merchant", merchantId);
  const total = rows.reduce((s, r) => s + r.payments, 0);
  const byCount = [...rows].sort((a, b) => b.payments - a.payments || a.currencyCode.localeCompare(b.currencyCode));
  const main = rows.find((r) => r.currencyCode === previous?.lastCurrency) ?? byCount[0];
  const mean = main.amountSum / main.payments;
  const last = Math.max(...rows.map((r) => Date.parse(r.lastCreatedAt)));
  const first = Math.min(...rows.map((r) => Date.parse(r.firstCreatedAt)));
  const span = Math.max(0, (last - first) / 1000);
  const added = (halfLife: number) => total * spreadDecay(span, halfLife);
  const at = now.toISOString();
  if (!previous) {
    return {
      id: key,
      entityKey: key,
      entityType: "merchant",
      count1h: added(HOUR_S),
      count24h: added(DAY_S),
      amountEwma: mean,
      lastCurrency: main.currencyCode,
      lastPaymentAt: new Date(last).toISOString(),
      paymentsSeen: total,
      updatedAt: at,
      windowUpTo,
    };
  }
  const previousLast = Date.parse(previous.lastPaymentAt);
  const elapsed = Math.max(0, (last - previousLast) / 1000);
  const weight = 1 - Math.pow(1 - EWMA_ALPHA, main.payments);
  return {
    ...previous,
    count1h: decay(previous.count1h, elapsed, HOUR_S) + added(HOUR_S),
    count24h: decay(previous.count24h, elapsed, DAY_S) + added(DAY_S),
    amountEwma: previous.lastCurrency === main.currencyCode ? (1 - weight) * previous.amountEwma + weight * mean : mean,
    lastCurrency: main.currencyCode,
    lastPaymentAt: new Date(Math.max(last, previousLast)).toISOString(),
    paymentsSeen: previous.paymentsSeen + total,
    updatedAt: at,
    windowUpTo,
  };
}
