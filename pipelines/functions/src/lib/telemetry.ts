/**
 * Business events as one-line log messages: `context.log(businessEvent(...))` lands in Application Insights'
 * `AppTraces` (column `Message`), where the operations tier's business workbook parses them
 * (components/operations/workbooks.ts: `parse Message with "payment.accepted amountMinor=" ...`). The format is
 * fixed: the event name, then `key=value` pairs in the order given; values carry no spaces. Only amounts, codes and
 * outcomes: never card data or personal data.
 */

/**
 * Events the workbooks and alerts read, with the fields each carries (in this order). `sqlMs`, always last, is the
 * payment API's write to the payments database as the app timed it (connection wait included): the OLTP latency SLA
 * alert reads it from every accepted payment and every other outcome of the write (components/operations/sla.ts).
 */
export const BUSINESS_EVENTS = {
  "payment.accepted": ["amountMinor", "currencyCode", "sqlMs"],
  "payment.store": ["outcome", "sqlMs"],
  "payment.scored": ["decision", "model"],
} as const;
export type BusinessEventName = keyof typeof BUSINESS_EVENTS;

type FieldsOf<E extends BusinessEventName> = Record<(typeof BUSINESS_EVENTS)[E][number], string | number>;

/** `payment.accepted amountMinor=1250 currencyCode=EUR sqlMs=12` */
export function businessEvent<E extends BusinessEventName>(name: E, fields: FieldsOf<E>): string {
  const parts = BUSINESS_EVENTS[name].map((key) => {
    const value = String((fields as Record<string, string | number>)[key]);
    if (!/^[A-Za-z0-9_.-]+$/.test(value)) throw new Error(`${name}: ${key} '${value}' must have no spaces or quotes`);
    return `${key}=${value}`;
  });
  return [name, ...parts].join(" ");
}
