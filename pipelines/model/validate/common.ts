// Naming, type and masking rules shared by the OLTP, OLAP and mapping validators.
import type { Column, MaskingFunction, SeedValue, SqlType } from "../types";
import { isCharacterType, isNumericType, renderType, typeLength } from "../types";

export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** 13 consecutive digits: the shortest PAN. A token column's CHECK must reject this. */
export const PAN_DIGITS_PATTERN = `NOT LIKE '%${"[0-9]".repeat(13)}%'`;
export const LAST4_PATTERN = `LIKE '[0-9][0-9][0-9][0-9]'`;
/** Name fragments that denote a full card number or sensitive authentication data (PCI DSS 3.3, 3.4). */
const FORBIDDEN_WORDS = new Set([
  "pan",
  "cvv",
  "cvv2",
  "cvc",
  "cvc2",
  "cvn",
  "cav2",
  "cid",
  "pin",
  "pinblock",
  "track1",
  "track2",
]);
const FORBIDDEN_JOINED = [
  "cardnumber",
  "cardno",
  "cardnum",
  "primaryaccountnumber",
  "securitycode",
  "trackdata",
  "magstripe",
  "pinblock",
  "cardverification",
];
export const AMOUNT_MINOR = /AmountMinor$/;
export const UNSUPPORTED_IN_SYNAPSE: SqlType["kind"][] = ["rowversion"];
export const CURRENCY_TABLE = "Currency";

/** Split an identifier into lower-case words: `CardNumber` → [card, number], `PAN_hash` → [pan, hash]. */
export function identifierWords(name: string): string[] {
  return (name.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+/g) ?? []).map((w) => w.toLowerCase());
}

/** Why a column name suggests PAN / sensitive authentication data, or undefined. */
export function forbiddenCardName(name: string): string | undefined {
  const words = identifierWords(name);
  // Let a digit suffix stick to its word (CVV2, Track1).
  const glued = words.flatMap((w, i) => (/^\d+$/.test(w) && i > 0 ? [words[i - 1] + w] : [w]));
  const hit = [...words, ...glued].find((w) => FORBIDDEN_WORDS.has(w));
  if (hit) return hit;
  const joined = words.join("");
  return FORBIDDEN_JOINED.find((f) => joined.includes(f));
}

/**
 * Name fragments that denote personal data (GDPR Art. 4(1)): contact details, names of a person, postal addresses,
 * birth dates and IP addresses. Matched on the identifier's words joined (`DateOfBirth` → `dateofbirth`).
 */
const PERSONAL_JOINED = [
  "email",
  "phone",
  "mobile",
  "birth",
  "firstname",
  "lastname",
  "fullname",
  "givenname",
  "familyname",
  "surname",
  "address",
  "street",
  "postcode",
  "postal",
  "zipcode",
];
/** Whole words that denote personal data on their own (too short to match inside other words). */
const PERSONAL_WORDS = new Set(["dob", "ip"]);

/** Why a column name suggests personal data, or undefined: `ContactEmail` → `email`, `LastSeenIp` → `ip`. */
export function personalDataName(name: string): string | undefined {
  const words = identifierWords(name);
  const hit = words.find((w) => PERSONAL_WORDS.has(w));
  if (hit) return hit;
  const joined = words.join("");
  return PERSONAL_JOINED.find((f) => joined.includes(f));
}

/** `[Name]` column references in a T-SQL expression (string literals such as `'[0-9]'` are skipped). */
export const referencedColumns = (expression: string): string[] =>
  [...expression.replace(/'(?:[^']|'')*'/g, "''").matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]);

export const sameType = (a: SqlType, b: SqlType) => renderType(a) === renderType(b);

export function maskExpression(mask: MaskingFunction): string {
  switch (mask.fn) {
    case "default":
      return "default()";
    case "email":
      return "email()";
    case "partial":
      return `partial(${mask.prefix},"${mask.padding}",${mask.suffix})`;
    case "random":
      return `random(${mask.from},${mask.to})`;
  }
}

export function validateType(where: string, type: SqlType): string[] {
  const problems: string[] = [];
  const len = typeLength(type);
  if (len !== undefined) {
    const max = type.kind === "nchar" || type.kind === "nvarchar" ? 4000 : 8000;
    if (!Number.isInteger(len) || len < 1 || len > max) problems.push(`${where}: length ${len} out of range 1..${max}`);
  }
  if (
    type.kind === "decimal" &&
    (type.precision < 1 || type.precision > 38 || type.scale < 0 || type.scale > type.precision)
  ) {
    problems.push(`${where}: invalid ${renderType(type)}`);
  }
  if (type.kind === "datetime2" && (type.precision < 0 || type.precision > 7))
    problems.push(`${where}: invalid ${renderType(type)}`);
  return problems;
}

export function validateMask(where: string, column: Column, mask: MaskingFunction | undefined): string[] {
  if (!mask) return [`${where}: ${column.classification?.kind} column has no Dynamic Data Masking function`];
  const problems: string[] = [];
  const len = typeLength(column.type);
  switch (mask.fn) {
    case "email":
      if (!isCharacterType(column.type))
        problems.push(`${where}: email() mask needs a character column, not ${renderType(column.type)}`);
      break;
    case "random":
      if (!isNumericType(column.type))
        problems.push(`${where}: random() mask needs a numeric column, not ${renderType(column.type)}`);
      if (!(mask.from <= mask.to)) problems.push(`${where}: random(${mask.from},${mask.to}) has from > to`);
      break;
    case "partial":
      if (!isCharacterType(column.type))
        problems.push(`${where}: partial() mask needs a character column, not ${renderType(column.type)}`);
      if (!/^[A-Za-z0-9*#.-]+$/.test(mask.padding))
        problems.push(`${where}: partial() padding "${mask.padding}" must be plain characters (no quotes or spaces)`);
      if (!Number.isInteger(mask.prefix) || !Number.isInteger(mask.suffix) || mask.prefix < 0 || mask.suffix < 0) {
        problems.push(`${where}: partial() prefix and suffix must be non-negative integers`);
      } else if (len !== undefined && mask.prefix + mask.suffix >= len) {
        problems.push(
          `${where}: partial(${mask.prefix},…,${mask.suffix}) exposes the whole ${renderType(column.type)} value`,
        );
      }
      break;
    case "default":
      break;
  }
  return problems;
}

export const seedValueFits = (value: SeedValue, type: SqlType): boolean => {
  if (value === null) return true;
  if (typeof value === "boolean") return type.kind === "bit";
  if (typeof value === "number") return isNumericType(type) || type.kind === "bit";
  // Dates are ISO text (`yyyy-mm-dd`, a time allowed for datetime2): the literal T-SQL converts unambiguously.
  if (type.kind === "date") return /^\d{4}-\d{2}-\d{2}$/.test(value);
  if (type.kind === "datetime2") return /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?)?$/.test(value);
  return isCharacterType(type) && value.length <= (typeLength(type) ?? 0);
};
