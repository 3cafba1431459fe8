/**
 * Which merchant is calling the payment API (pure: headers in, a verdict out).
 *
 * With `ingestion.gateway.merchantCertificateAuthorities` set, the Application Gateway asks every client for a
 * certificate issued by one of those authorities (mutual TLS), checks it, and sets two request headers on every
 * request it forwards (components/ingestion/gateway.ts, MERCHANT_CERTIFICATE_HEADERS): the verification result and
 * the certificate's subject. The gateway overwrites whatever a client sent in those headers, and with
 * `paymentApiDeploySources` set only the gateway and the deploy runners reach the app's private endpoint, so the app
 * trusts them; a process on a runner could still forge them (the runners' trust, docs/configuration.md). Without
 * `paymentApiDeploySources`, any host of the network reaches the endpoint: set it with the authorities (config
 * validation requires it). A merchant's certificate names the merchant in its common name,
 * `CN=merchant-<MerchantId>`; a request may only create payments for that merchant.
 *
 * The app's `MERCHANT_AUTHENTICATION` setting says which applies: `client-certificate`, or `none` when the stack
 * configures no authority (the policy pack's advisory rule reports that gateway). Unset or unknown: client-certificate
 * (fail closed).
 */

import { isRequestNumber } from "./payment";

/** The app setting the ingestion tier sets (components/ingestion/index.ts). */
export const MERCHANT_AUTHENTICATION_SETTING = "MERCHANT_AUTHENTICATION";

export const MERCHANT_AUTHENTICATION_MODES = ["client-certificate", "none"] as const;
export type MerchantAuthenticationMode = (typeof MERCHANT_AUTHENTICATION_MODES)[number];

/** The request headers the gateway sets (lower case, as the Functions host exposes them). */
export const CLIENT_CERTIFICATE_HEADERS = {
  verification: "x-client-certificate-verification",
  subject: "x-client-certificate-subject",
} as const;

/**
 * The common name of a merchant's certificate: `merchant-<MerchantId>`, the id as the API's body takes it (a positive
 * whole number of at most 12 digits, `isRequestNumber`). dbo.Merchant's key, Payment.MerchantId and the warehouse's
 * MerchantKey are BIGINT, so every merchant the API accepts in a body can also hold a certificate.
 */
const MERCHANT_CN = /^merchant-([1-9][0-9]{0,11})$/;

/** The mode from the app's settings; anything but `none` is client-certificate. */
export function merchantAuthenticationMode(
  env: Readonly<Record<string, string | undefined>>,
): MerchantAuthenticationMode {
  return env[MERCHANT_AUTHENTICATION_SETTING] === "none" ? "none" : "client-certificate";
}

/**
 * The attribute=value pairs of a DN string (RFC 4514, as the gateway gives the subject: `CN=merchant-42,O=Contoso`),
 * values unescaped. A backslash escapes the next character (or two hex digits), so `O=a\,CN=x` is one attribute and
 * `O=a\\,CN=x` two; `,`, `;` and `+` separate. Undefined when it is not a DN.
 */
export function dnAttributes(dn: string): { type: string; value: string }[] | undefined {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < dn.length; i++) {
    const c = dn[i];
    if (c === "\\") {
      if (i + 1 >= dn.length) return undefined;
      current += c + dn[++i];
    } else if (c === "," || c === ";" || c === "+") {
      parts.push(current);
      current = "";
    } else current += c;
  }
  parts.push(current);
  const attributes: { type: string; value: string }[] = [];
  for (const part of parts) {
    const m = /^\s*([A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)+)\s*=(.*)$/.exec(part);
    if (!m) return undefined;
    const value = m[2]
      .trim()
      .replace(/\\([0-9A-Fa-f]{2}|.)/g, (_, e: string) => (e.length === 2 ? String.fromCharCode(parseInt(e, 16)) : e));
    attributes.push({ type: m[1].toUpperCase(), value });
  }
  return attributes;
}

/** The subject's one common name; undefined when the subject is not a DN or has no CN, or more than one. */
export function commonName(subject: string): string | undefined {
  const names = (dnAttributes(subject) ?? []).filter((a) => a.type === "CN" || a.type === "2.5.4.3");
  return names.length === 1 ? names[0].value : undefined;
}

/**
 * What the gateway said of the client certificate, as a fixed label: Application Gateway sets
 * `client_certificate_verification` to `SUCCESS`, `FAILED:<reason>` or `NONE`.
 */
export function verificationLabel(verification: string): "none presented" | "failed" | "unrecognised" {
  if (verification === "NONE") return "none presented";
  return /^FAILED(:|$)/.test(verification) ? "failed" : "unrecognised";
}

export type MerchantIdentity =
  | { readonly ok: true; readonly merchantId: number | undefined }
  | { readonly ok: false; readonly status: 401 | 403; readonly error: string; readonly detail: string };

/**
 * Who the caller is: in `client-certificate` mode, the merchant id of a certificate the gateway verified (401 when
 * it presented none or it failed verification, 403 when it is not a merchant's); in `none` mode, nobody in
 * particular (`merchantId` undefined: the body's merchantId is taken as it is).
 */
export function merchantFromCertificate(
  mode: MerchantAuthenticationMode,
  header: (name: string) => string | null | undefined,
): MerchantIdentity {
  if (mode === "none") return { ok: true, merchantId: undefined };
  const verification = header(CLIENT_CERTIFICATE_HEADERS.verification)?.trim() || "NONE";
  if (verification !== "SUCCESS")
    return {
      ok: false,
      status: 401,
      error: "client_certificate_required",
      // A fixed label, never the header itself: the detail reaches api_logs and the response, and a caller that
      // reaches the app's endpoint around the gateway writes the header (a card number, kilobytes of text).
      detail: `a merchant client certificate is required (gateway verification: ${verificationLabel(verification)})`,
    };
  const cn = commonName(header(CLIENT_CERTIFICATE_HEADERS.subject) ?? "");
  const match = cn === undefined ? null : MERCHANT_CN.exec(cn);
  const merchantId = match ? Number(match[1]) : NaN;
  if (!match || !isRequestNumber(merchantId))
    return {
      ok: false,
      status: 403,
      error: "not_a_merchant_certificate",
      detail: "the client certificate's common name must be merchant-<MerchantId>",
    };
  return { ok: true, merchantId };
}
