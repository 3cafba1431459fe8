// Invariants of the data model that TypeScript cannot express. `validateModel` returns human-readable problems
// (empty = valid); the generator refuses to write SQL for an invalid model, and the tests feed it mutated models
// to prove each rule actually fires.
import type {
  CalendarTableMapping,
  Column,
  DataModel,
  MaskingFunction,
  OlapModel,
  OlapTable,
  OltpModel,
  OltpTable,
  SeedValue,
  SqlType,
  StreamTableMapping,
} from "./types";
import { stagingChangeColumnNames, stagingChangeColumns } from "./olap";
import { isBinaryType, isCharacterType, isIntegerType, isNumericType, renderType, typeLength } from "./types";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
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
const AMOUNT_MINOR = /AmountMinor$/;
const UNSUPPORTED_IN_SYNAPSE: SqlType["kind"][] = ["rowversion"];
const CURRENCY_TABLE = "Currency";

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

/** `[Name]` column references in a T-SQL expression (string literals such as `'[0-9]'` are skipped). */
export const referencedColumns = (expression: string): string[] =>
  [...expression.replace(/'(?:[^']|'')*'/g, "''").matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]);

const sameType = (a: SqlType, b: SqlType) => renderType(a) === renderType(b);

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

/** Everything wrong with the model; empty when it is valid. */
export function validateModel(model: DataModel): string[] {
  return [
    ...validateOltp(model.oltp),
    ...validateAlwaysEncryptedKeys(model.oltp),
    ...validateOlap(model.olap),
    ...validateMaterializedViews(model.olap),
    ...validateMappings(model),
  ];
}

/** Every declared column encryption key is wrapped by the declared column master key and used by a column. */
function validateAlwaysEncryptedKeys(model: OltpModel): string[] {
  const problems: string[] = [];
  const ae = model.alwaysEncrypted;
  if (!IDENTIFIER.test(ae.columnMasterKey.name)) problems.push(`alwaysEncrypted: invalid column master key name`);
  if (!IDENTIFIER.test(ae.columnMasterKey.keyPathVariable))
    problems.push(`alwaysEncrypted: invalid sqlcmd variable name ${ae.columnMasterKey.keyPathVariable}`);
  for (const k of ae.columnEncryptionKeys) {
    if (!IDENTIFIER.test(k.name)) problems.push(`alwaysEncrypted: invalid column encryption key name ${k.name}`);
    if (k.columnMasterKey !== ae.columnMasterKey.name)
      problems.push(
        `alwaysEncrypted ${k.name}: wrapped by ${k.columnMasterKey}, which is not the declared column master key`,
      );
    if (!model.tables.some((t) => t.columns.some((c) => c.encryption?.key === k.name)))
      problems.push(`alwaysEncrypted ${k.name}: no column uses this column encryption key`);
  }
  if (!(Number.isInteger(model.changeTrackingRetentionDays) && model.changeTrackingRetentionDays >= 1))
    problems.push(`changeTrackingRetentionDays must be a whole number of days >= 1`);
  return problems;
}

// --- OLTP -----------------------------------------------------------------------------------------------------

function validateType(where: string, type: SqlType): string[] {
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

function validateMask(where: string, column: Column, mask: MaskingFunction | undefined): string[] {
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

function constraintNames(table: OltpTable): string[] {
  const names = [
    table.primaryKey.name,
    ...(table.uniques ?? []).map((u) => u.name),
    ...(table.foreignKeys ?? []).map((f) => f.name),
  ];
  names.push(...(table.checks ?? []).map((c) => c.name));
  for (const c of table.columns) {
    if (c.check) names.push(`CK_${table.name}_${c.name}`);
    if (c.allowedValues) names.push(`CK_${table.name}_${c.name}_Values`);
    if (c.default !== undefined) names.push(`DF_${table.name}_${c.name}`);
  }
  if (table.erasedAtColumn) names.push(`CK_${table.name}_Erasure`);
  return names;
}

export function validateOltp(model: OltpModel): string[] {
  const problems: string[] = [];
  const byName = new Map<string, OltpTable>();
  const seenConstraints = new Map<string, string>();
  for (const table of model.tables) {
    const tl = `oltp ${table.schema}.${table.name}`;
    if (byName.has(table.name)) problems.push(`${tl}: duplicate table name`);
    byName.set(table.name, table);
    if (!IDENTIFIER.test(table.schema) || !IDENTIFIER.test(table.name)) problems.push(`${tl}: invalid identifier`);
    for (const name of constraintNames(table)) {
      if (!IDENTIFIER.test(name) || name.length > 128) problems.push(`${tl}: invalid constraint name "${name}"`);
      const owner = seenConstraints.get(name);
      if (owner)
        problems.push(`${tl}: constraint name ${name} already used by ${owner} (constraint names are schema-wide)`);
      seenConstraints.set(name, `${table.schema}.${table.name}`);
    }
  }

  for (const table of model.tables) {
    const tl = `oltp ${table.schema}.${table.name}`;
    const cols = new Map<string, Column>();
    for (const c of table.columns) {
      if (cols.has(c.name)) problems.push(`${tl}.${c.name}: duplicate column`);
      cols.set(c.name, c);
    }
    const has = (name: string) => cols.has(name);
    const requireColumns = (what: string, names: string[]) => {
      if (names.length === 0) problems.push(`${tl}: ${what} has no columns`);
      for (const n of names) if (!has(n)) problems.push(`${tl}: ${what} references missing column ${n}`);
    };
    const requireExpression = (what: string, expression: string) => {
      for (const n of referencedColumns(expression))
        if (!has(n)) problems.push(`${tl}: ${what} references missing column [${n}]`);
    };

    // Columns
    let identities = 0;
    let rowversions = 0;
    for (const c of table.columns) {
      const cl = `${tl}.${c.name}`;
      if (!IDENTIFIER.test(c.name) || c.name.length > 128) problems.push(`${cl}: invalid identifier`);
      problems.push(...validateType(cl, c.type));
      if (c.identity) {
        identities++;
        if (!isIntegerType(c.type)) problems.push(`${cl}: IDENTITY needs an integer type, not ${renderType(c.type)}`);
        if (c.nullable) problems.push(`${cl}: IDENTITY column cannot be nullable`);
        if (c.default !== undefined) problems.push(`${cl}: IDENTITY column cannot have a DEFAULT`);
      }
      if (c.type.kind === "rowversion") {
        rowversions++;
        if (c.default !== undefined || c.nullable) problems.push(`${cl}: ROWVERSION must be NOT NULL without DEFAULT`);
      }
      if (c.check) requireExpression(`CHECK on ${c.name}`, c.check);
      if (c.allowedValues) {
        if (!isCharacterType(c.type)) problems.push(`${cl}: allowedValues needs a character column`);
        if (c.allowedValues.length === 0) problems.push(`${cl}: allowedValues is empty`);
        if (new Set(c.allowedValues).size !== c.allowedValues.length)
          problems.push(`${cl}: allowedValues has duplicates`);
        const len = typeLength(c.type) ?? 0;
        for (const v of c.allowedValues) {
          if (!/^[a-z0-9_]+$/.test(v)) problems.push(`${cl}: allowed value '${v}' must be lower_snake_case`);
          if (v.length > len) problems.push(`${cl}: allowed value '${v}' does not fit ${renderType(c.type)}`);
        }
        const literal = c.default?.match(/^'(.*)'$/);
        if (literal && !c.allowedValues.includes(literal[1]))
          problems.push(`${cl}: default '${literal[1]}' is not an allowed value`);
      }
      if (c.name === "Status" && !c.allowedValues)
        problems.push(`${cl}: status column needs allowedValues (a CHECK-enforced enum)`);

      // Money: BIGINT minor units (or DECIMAL(19,4)) + ISO currency CHAR(3) referencing dbo.Currency.
      if (AMOUNT_MINOR.test(c.name) && c.type.kind !== "bigint")
        problems.push(`${cl}: minor-unit amounts must be BIGINT, not ${renderType(c.type)}`);
      if (/Amount$/.test(c.name) && renderType(c.type) !== "DECIMAL(19, 4)")
        problems.push(`${cl}: amounts must be DECIMAL(19, 4) or BIGINT *AmountMinor`);
      if (/CurrencyCode$/.test(c.name)) {
        if (renderType(c.type) !== "CHAR(3)") problems.push(`${cl}: currency codes must be CHAR(3) (ISO 4217)`);
        const isCurrencyKey = table.name === CURRENCY_TABLE && table.primaryKey.columns.includes(c.name);
        const hasFk = (table.foreignKeys ?? []).some(
          (fk) => fk.columns.length === 1 && fk.columns[0] === c.name && fk.references.table === CURRENCY_TABLE,
        );
        if (!isCurrencyKey && !hasFk) problems.push(`${cl}: currency code has no foreign key to dbo.${CURRENCY_TABLE}`);
      }
      if (/At$/.test(c.name) && renderType(c.type) !== "DATETIME2(3)")
        problems.push(`${cl}: timestamps must be DATETIME2(3) (UTC)`);

      // Cardholder data: never a PAN or sensitive authentication data.
      const forbidden = forbiddenCardName(c.name);
      if (forbidden) {
        problems.push(
          `${cl}: column name suggests a full card number or sensitive authentication data ("${forbidden}") — ` +
            `PCI DSS forbids storing CVV/track/PIN and this platform never stores PANs: keep the vault token instead`,
        );
      }
      if (c.classification?.kind === "card") {
        const len = typeLength(c.type);
        const shortText = isCharacterType(c.type) && len !== undefined && len <= 4;
        const smallNumber = c.type.kind === "tinyint" || c.type.kind === "smallint";
        const hash = isBinaryType(c.type) && len !== undefined && len <= 64;
        if (!shortText && !smallNumber && !hash) {
          problems.push(
            `${cl}: card-classified column of type ${renderType(c.type)} could hold a full card number — ` +
              `use CHAR(4) or shorter (last4), TINYINT/SMALLINT (expiry) or BINARY(≤64) (fingerprint)`,
          );
        }
      }
      if (/last_?4|lastfour/i.test(c.name)) {
        if (renderType(c.type) !== "CHAR(4)") problems.push(`${cl}: last4 must be CHAR(4), not ${renderType(c.type)}`);
        if (c.classification?.kind !== "card") problems.push(`${cl}: last4 must be classified as card data`);
        if (!c.check?.includes(LAST4_PATTERN))
          problems.push(`${cl}: last4 needs a digits-only CHECK (${LAST4_PATTERN})`);
      }
      if (/Token$/.test(c.name) && !c.check?.includes(PAN_DIGITS_PATTERN)) {
        problems.push(`${cl}: token column needs a CHECK rejecting PAN-like digit runs (${PAN_DIGITS_PATTERN})`);
      }

      // Classification and masking
      if (c.classification) {
        if (c.encryption) {
          if (c.classification.mask)
            problems.push(
              `${cl}: an Always Encrypted column cannot be masked (Dynamic Data Masking does not apply to ciphertext)`,
            );
        } else problems.push(...validateMask(cl, c, c.classification.mask));
        if (c.classification.kind === "personal" && !c.nullable) {
          problems.push(
            `${cl}: personal data must be nullable so it can be erased (GDPR Art. 17) without deleting the record`,
          );
        }
        if (table.ledger) {
          problems.push(
            `${cl}: ${c.classification.kind} data in a ledger table (${table.ledger}) can never be erased ` +
              `(ledger history is immutable) — keep it in a non-ledger table`,
          );
        }
      }
    }
    if (identities > 1) problems.push(`${tl}: more than one IDENTITY column`);
    if (rowversions > 1) problems.push(`${tl}: more than one ROWVERSION column`);

    // Timestamps
    const created = cols.get("CreatedAt");
    if (!created) problems.push(`${tl}: missing CreatedAt`);
    else if (created.nullable || created.default !== "SYSUTCDATETIME()")
      problems.push(`${tl}.CreatedAt: must be NOT NULL DEFAULT SYSUTCDATETIME()`);
    const updated = cols.get("UpdatedAt");
    if (table.ledger === "append-only") {
      if (updated) problems.push(`${tl}: append-only ledger rows are never updated, so UpdatedAt is meaningless`);
    } else if (!updated) {
      problems.push(`${tl}: missing UpdatedAt`);
    } else if (updated.nullable || updated.default !== "SYSUTCDATETIME()") {
      problems.push(`${tl}.UpdatedAt: must be NOT NULL DEFAULT SYSUTCDATETIME()`);
    }

    // Keys
    if (!table.primaryKey || table.primaryKey.columns.length === 0) {
      problems.push(`${tl}: has no primary key`);
    } else {
      requireColumns(`primary key ${table.primaryKey.name}`, table.primaryKey.columns);
      for (const n of table.primaryKey.columns) {
        const c = cols.get(n);
        if (c?.nullable) problems.push(`${tl}: primary key column ${n} is nullable`);
        if (c?.classification)
          problems.push(`${tl}: primary key column ${n} is classified ${c.classification.kind} data`);
      }
    }
    for (const u of table.uniques ?? []) requireColumns(`unique constraint ${u.name}`, u.columns);
    for (const chk of table.checks ?? []) requireExpression(`CHECK ${chk.name}`, chk.expression);
    const indexNames = new Set<string>();
    for (const ix of table.indexes ?? []) {
      if (indexNames.has(ix.name)) problems.push(`${tl}: duplicate index ${ix.name}`);
      indexNames.add(ix.name);
      if (!IDENTIFIER.test(ix.name)) problems.push(`${tl}: invalid index name "${ix.name}"`);
      requireColumns(`index ${ix.name}`, ix.columns);
      for (const n of ix.include ?? [])
        if (!has(n)) problems.push(`${tl}: index ${ix.name} includes missing column ${n}`);
      if (ix.where) requireExpression(`index ${ix.name} filter`, ix.where);
    }

    for (const fk of table.foreignKeys ?? []) {
      const fl = `${tl}: foreign key ${fk.name}`;
      requireColumns(`foreign key ${fk.name}`, fk.columns);
      const target = byName.get(fk.references.table);
      if (!target) {
        problems.push(`${fl} references missing table ${fk.references.table}`);
        continue;
      }
      const keys = [target.primaryKey, ...(target.uniques ?? [])].map((k) => k.columns.join(","));
      if (!keys.includes(fk.references.columns.join(","))) {
        problems.push(
          `${fl} references ${target.name}(${fk.references.columns.join(", ")}), which is not its primary key or a unique key`,
        );
      }
      if (fk.columns.length !== fk.references.columns.length) {
        problems.push(`${fl} has ${fk.columns.length} columns but references ${fk.references.columns.length}`);
        continue;
      }
      fk.columns.forEach((n, i) => {
        const from = cols.get(n);
        const to = target.columns.find((c) => c.name === fk.references.columns[i]);
        if (!to) problems.push(`${fl} references missing column ${target.name}.${fk.references.columns[i]}`);
        else if (from && !sameType(from.type, to.type)) {
          problems.push(
            `${fl}: ${table.name}.${n} is ${renderType(from.type)} but ${target.name}.${to.name} is ${renderType(to.type)}`,
          );
        }
      });
    }

    // GDPR erasure marker
    if (table.erasedAtColumn) {
      const e = cols.get(table.erasedAtColumn);
      if (!e) problems.push(`${tl}: erasedAtColumn ${table.erasedAtColumn} does not exist`);
      else if (!e.nullable) problems.push(`${tl}: erasedAtColumn ${table.erasedAtColumn} must be nullable`);
      if (!table.columns.some((c) => c.classification?.kind === "personal"))
        problems.push(`${tl}: erasedAtColumn set but no personal columns`);
    }

    if (table.extraction.mode !== "none" && table.primaryKey.columns.length === 0)
      problems.push(`${tl}: ${table.extraction.mode} extraction needs a primary key`);
    if (!table.extraction.rationale.trim())
      problems.push(`${tl}: extraction mode ${table.extraction.mode} has no rationale`);
    if (table.ledger && table.extraction.mode === "cdc") {
      problems.push(
        `${tl}: CDC on a ledger table — Microsoft's ledger limitations page says change data capture isn't ` +
          `supported for ledger tables; use changeTracking (allowed on ledger tables)`,
      );
    }
    problems.push(...validateEncryption(table, model), ...validateMaskDependencies(table));
  }
  return problems;
}

/** Columns a CHECK constraint of the table refers to (column CHECKs, enums, table CHECKs; erasure excluded). */
function checkReferences(table: OltpTable): { name: string; columns: string[] }[] {
  const checks: { name: string; columns: string[] }[] = [];
  for (const c of table.columns) {
    if (c.check) checks.push({ name: `CK_${table.name}_${c.name}`, columns: [c.name, ...referencedColumns(c.check)] });
    if (c.allowedValues) checks.push({ name: `CK_${table.name}_${c.name}_Values`, columns: [c.name] });
  }
  for (const chk of table.checks ?? []) checks.push({ name: chk.name, columns: referencedColumns(chk.expression) });
  return checks;
}

/** Always Encrypted rules (sql-docs always-encrypted-database-engine, "Limitations"). */
function validateEncryption(table: OltpTable, model: OltpModel): string[] {
  const problems: string[] = [];
  const tl = `oltp ${table.schema}.${table.name}`;
  const keys = new Map((model.alwaysEncrypted?.columnEncryptionKeys ?? []).map((k) => [k.name, k]));
  const encrypted = table.columns.filter((c) => c.encryption);
  if (encrypted.length && table.extraction.mode === "cdc") {
    problems.push(
      `${tl}: has Always Encrypted columns (${encrypted.map((c) => c.name).join(", ")}) but uses CDC — CDC cannot ` +
        `capture encrypted columns (older revisions of Microsoft's page exclude every column of a CDC table); ` +
        `use changeTracking`,
    );
  }
  const checks = checkReferences(table);
  for (const c of encrypted) {
    const cl = `${tl}.${c.name}`;
    const e = c.encryption;
    if (!e) continue;
    if (!keys.has(e.key)) problems.push(`${cl}: column encryption key ${e.key} is not declared in alwaysEncrypted`);
    if (!c.classification) problems.push(`${cl}: Always Encrypted column is not classified (personal or card)`);
    if (c.default !== undefined) problems.push(`${cl}: Always Encrypted columns cannot have a DEFAULT constraint`);
    if (c.identity) problems.push(`${cl}: Always Encrypted columns cannot be IDENTITY columns`);
    if (c.type.kind === "rowversion") problems.push(`${cl}: ROWVERSION cannot be encrypted`);
    for (const chk of checks.filter((x) => x.columns.includes(c.name)))
      problems.push(
        `${cl}: referenced by CHECK ${chk.name} — Always Encrypted columns cannot be in a CHECK constraint`,
      );
    for (const ix of table.indexes ?? []) {
      if (ix.where && referencedColumns(ix.where).includes(c.name))
        problems.push(`${cl}: index ${ix.name} filters on an encrypted column`);
      if (e.type === "Randomized" && [...ix.columns, ...(ix.include ?? [])].includes(c.name))
        problems.push(
          `${cl}: index ${ix.name} on a randomized-encrypted column (only deterministic ones can be indexed)`,
        );
    }
    const keyed = [
      table.primaryKey.columns,
      ...(table.uniques ?? []).map((u) => u.columns),
      ...(table.foreignKeys ?? []).map((f) => f.columns),
    ];
    if (keyed.some((k) => k.includes(c.name)))
      problems.push(`${cl}: keys and foreign keys may not use an encrypted column in this model`);
    if (e.type === "Deterministic" && isCharacterType(c.type) && !/_BIN2$/i.test(c.collation ?? ""))
      problems.push(`${cl}: deterministic encryption of a character column needs a BIN2 collation`);
  }
  return problems;
}

/**
 * Dynamic Data Masking on an existing column fails while something depends on it (Microsoft's DDM page). The
 * generator drops and re-creates the dependent indexes and CHECK constraints around the ALTER in one transaction;
 * keys cannot be dropped that way (foreign keys hang on them), so a masked column may not be part of one.
 */
function validateMaskDependencies(table: OltpTable): string[] {
  const problems: string[] = [];
  const keys = [
    { name: table.primaryKey.name, columns: table.primaryKey.columns },
    ...(table.uniques ?? []),
    ...(table.foreignKeys ?? []),
  ];
  for (const c of table.columns.filter((x) => x.classification?.mask)) {
    for (const k of keys.filter((x) => x.columns.includes(c.name))) {
      problems.push(
        `oltp ${table.schema}.${table.name}.${c.name}: masked column is part of key ${k.name} — the mask could not ` +
          `be re-applied to an existing table without dropping the key; mask a column outside keys`,
      );
    }
  }
  return problems;
}

// --- OLAP -----------------------------------------------------------------------------------------------------

const seedValueFits = (value: SeedValue, type: SqlType): boolean => {
  if (value === null) return true;
  if (typeof value === "boolean") return type.kind === "bit";
  if (typeof value === "number") return isNumericType(type) || type.kind === "bit";
  return isCharacterType(type) && value.length <= (typeLength(type) ?? 0);
};

export function validateOlap(model: OlapModel): string[] {
  const problems: string[] = [];
  const byName = new Map<string, OlapTable>();
  for (const table of model.tables) {
    const key = `${table.schema}.${table.name}`;
    if (byName.has(key)) problems.push(`olap ${key}: duplicate table`);
    byName.set(key, table);
  }
  const dims = new Map(model.tables.filter((t) => t.role === "dimension").map((t) => [t.name, t]));
  const referenced = new Set<string>();

  for (const table of model.tables) {
    const tl = `olap ${table.schema}.${table.name}`;
    const cols = new Map(table.columns.map((c) => [c.name, c]));
    if (!IDENTIFIER.test(table.schema) || !IDENTIFIER.test(table.name)) problems.push(`${tl}: invalid identifier`);
    if (cols.size !== table.columns.length) problems.push(`${tl}: duplicate column names`);
    if (!table.rationale.trim()) problems.push(`${tl}: distribution/index choice has no rationale`);

    for (const c of table.columns) {
      const cl = `${tl}.${c.name}`;
      if (!IDENTIFIER.test(c.name)) problems.push(`${cl}: invalid identifier`);
      problems.push(...validateType(cl, c.type));
      if (UNSUPPORTED_IN_SYNAPSE.includes(c.type.kind))
        problems.push(`${cl}: ${renderType(c.type)} is not supported by Synapse dedicated SQL pool`);
      if (c.check || c.allowedValues)
        problems.push(`${cl}: Synapse dedicated SQL pool does not support CHECK constraints`);
      if (c.default !== undefined && !/^(-?\d+(\.\d+)?|N?'[^']*')$/.test(c.default)) {
        problems.push(`${cl}: Synapse defaults must be literals, not "${c.default}"`);
      }
      if (c.classification) problems.push(...validateMask(cl, c, c.classification.mask));
    }

    if (table.primaryKey) {
      for (const n of table.primaryKey.columns) {
        const c = cols.get(n);
        if (!c) problems.push(`${tl}: primary key references missing column ${n}`);
        else if (c.nullable) problems.push(`${tl}: primary key column ${n} is nullable`);
      }
    }

    // Distribution and index rules of the house
    const d = table.distribution;
    if (d.kind === "HASH") {
      const c = cols.get(d.column);
      if (!c) problems.push(`${tl}: distribution column ${d.column} does not exist`);
      else {
        if (c.nullable)
          problems.push(`${tl}: distribution column ${d.column} is nullable (NULLs all land in one distribution)`);
        if (c.identity) problems.push(`${tl}: an IDENTITY column cannot be the distribution column`);
      }
    }
    if (table.index.kind === "CLUSTERED INDEX") {
      for (const n of table.index.columns)
        if (!cols.has(n)) problems.push(`${tl}: clustered index references missing column ${n}`);
    }
    if (table.role === "fact") {
      if (d.kind !== "HASH")
        problems.push(`${tl}: fact tables must be HASH-distributed on a high-cardinality join key, not ${d.kind}`);
      if (table.index.kind !== "CLUSTERED COLUMNSTORE INDEX")
        problems.push(`${tl}: fact tables must use a CLUSTERED COLUMNSTORE INDEX`);
      if (!table.references?.length) problems.push(`${tl}: fact table references no dimension`);
    }
    if (table.role === "dimension") {
      if (d.kind !== "REPLICATE") problems.push(`${tl}: dimensions must be REPLICATE (small, joined by every fact)`);
      if (table.index.kind === "HEAP") problems.push(`${tl}: dimensions need an index on the key`);
      if (!table.primaryKey || table.primaryKey.columns.length !== 1)
        problems.push(`${tl}: dimensions need a single-column primary key`);
    }
    if (table.role === "fact" && table.primaryKey) {
      problems.push(
        `${tl}: fact tables get no PRIMARY KEY — NONCLUSTERED NOT ENFORCED would add a secondary rowstore index ` +
          `to the columnstore that every load maintains (and MERGE into a HASH table with secondary indexes is what ` +
          `Microsoft's MERGE page warns about); the load guarantees and checks uniqueness`,
      );
    }
    if (table.role === "staging") {
      if (d.kind === "REPLICATE" || table.index.kind !== "HEAP")
        problems.push(`${tl}: staging tables must be ROUND_ROBIN or HASH heaps`);
      if (table.references?.length) problems.push(`${tl}: staging tables do not reference dimensions`);
    }

    // Fact → dimension references (logical: Synapse has no FOREIGN KEY constraints)
    for (const r of table.references ?? []) {
      const rl = `${tl}.${r.column}`;
      if (table.role !== "fact") problems.push(`${rl}: only fact tables reference dimensions`);
      const c = cols.get(r.column);
      if (!c) problems.push(`${rl}: reference column does not exist`);
      const dim = dims.get(r.dimension);
      if (!dim) {
        problems.push(`${rl}: references ${r.dimension}, which is not a dimension`);
        continue;
      }
      referenced.add(dim.name);
      if (dim.primaryKey?.columns.join(",") !== r.dimensionColumn)
        problems.push(`${rl}: ${r.dimension}.${r.dimensionColumn} is not its primary key`);
      const dc = dim.columns.find((x) => x.name === r.dimensionColumn);
      if (c && dc && !sameType(c.type, dc.type)) {
        problems.push(`${rl}: is ${renderType(c.type)} but ${r.dimension}.${dc.name} is ${renderType(dc.type)}`);
      }
      if (c?.nullable) problems.push(`${rl}: fact keys must be NOT NULL (use the unknown member)`);
    }

    if (table.unknownMember) {
      for (const [k, v] of Object.entries(table.unknownMember)) {
        const c = cols.get(k);
        if (!c) problems.push(`${tl}: unknown member sets missing column ${k}`);
        else if (!seedValueFits(v, c.type))
          problems.push(`${tl}: unknown member value ${JSON.stringify(v)} does not fit ${k} ${renderType(c.type)}`);
      }
      for (const c of table.columns) {
        const v = table.unknownMember[c.name];
        if (!c.nullable && (v === undefined || v === null))
          problems.push(`${tl}: unknown member has no value for NOT NULL column ${c.name}`);
      }
    }
  }
  for (const dim of dims.values()) {
    if (!referenced.has(dim.name))
      problems.push(`olap ${dim.schema}.${dim.name}: dimension is not referenced by any fact`);
  }
  return problems;
}

// --- Mappings (OLTP → OLAP) -------------------------------------------------------------------------------------

type FkDirection = "many-to-one" | "one-to-many" | undefined;

function joinDirection(
  oltp: OltpModel,
  from: { table: string; column: string },
  to: { table: string; column: string },
): FkDirection {
  const fkFrom = (a: typeof from, b: typeof to) =>
    oltp.tables
      .find((t) => t.name === a.table)
      ?.foreignKeys?.some(
        (fk) =>
          fk.columns.join(",") === a.column &&
          fk.references.table === b.table &&
          fk.references.columns.join(",") === b.column,
      );
  if (fkFrom(from, to)) return "many-to-one";
  if (fkFrom(to, from)) return "one-to-many";
  return undefined;
}

export function validateMappings(model: DataModel): string[] {
  const { oltp, olap } = model;
  const problems: string[] = [];
  const oltpTables = new Map(oltp.tables.map((t) => [t.name, t]));
  const oltpColumn = (table: string, column: string) => oltpTables.get(table)?.columns.find((c) => c.name === column);
  const star = olap.tables.filter((t) => t.role !== "staging");
  const olapByName = new Map(star.map((t) => [t.name, t]));
  const mappingByTarget = new Map<string, (typeof olap.mappings)[number]>();
  const readByEtl = new Set<string>();

  for (const m of olap.mappings) {
    const ml = `mapping ${m.target}`;
    if (mappingByTarget.has(m.target)) problems.push(`${ml}: more than one mapping for this table`);
    mappingByTarget.set(m.target, m);
    const target = olapByName.get(m.target);
    if (!target) {
      problems.push(`${ml}: target is not a fact or dimension table of the OLAP model`);
      continue;
    }
    const targetCols = new Map(target.columns.map((c) => [c.name, c]));
    const mapped = new Map<string, number>();
    const mark = (name: string) => {
      if (!targetCols.has(name)) problems.push(`${ml}.${name}: target column does not exist`);
      mapped.set(name, (mapped.get(name) ?? 0) + 1);
    };

    if (m.kind === "oltp") {
      const reachable = new Map<string, FkDirection>();
      if (!oltpTables.has(m.root)) problems.push(`${ml}: root table dbo.${m.root} does not exist`);
      else {
        reachable.set(m.root, "many-to-one");
        readByEtl.add(m.root);
      }
      for (const j of m.joins) {
        const jl = `${ml}: join ${j.from.table}.${j.from.column} = ${j.to.table}.${j.to.column}`;
        for (const side of [j.from, j.to]) {
          if (!oltpColumn(side.table, side.column))
            problems.push(`${jl}: dbo.${side.table}.${side.column} does not exist`);
        }
        if (!reachable.has(j.from.table))
          problems.push(`${jl}: dbo.${j.from.table} is not the root or an earlier join`);
        const dir = joinDirection(oltp, j.from, j.to);
        if (!dir) problems.push(`${jl}: no foreign key backs this join`);
        reachable.set(j.to.table, dir);
        readByEtl.add(j.to.table);
      }
      for (const cm of m.columns) {
        const cl = `${ml}.${cm.target}`;
        mark(cm.target);
        const src = oltpColumn(cm.source.table, cm.source.column);
        const tgt = targetCols.get(cm.target);
        if (!src) {
          problems.push(`${cl}: source column dbo.${cm.source.table}.${cm.source.column} does not exist`);
          continue;
        }
        if (!reachable.has(cm.source.table))
          problems.push(`${cl}: dbo.${cm.source.table} is neither the root nor joined`);
        if (src.classification) {
          problems.push(
            `${cl}: reads ${src.classification.kind} column dbo.${cm.source.table}.${cm.source.column} — classified data is ` +
              `not captured by CDC and must not be copied into the warehouse`,
          );
        }
        if (src.type.kind === "rowversion")
          problems.push(`${cl}: ROWVERSION columns are not captured and not supported by Synapse`);
        const aggregate = cm.transform.kind === "sum" || cm.transform.kind === "count";
        const dir = reachable.get(cm.source.table);
        if (cm.source.table !== m.root) {
          if (aggregate && dir !== "one-to-many")
            problems.push(`${cl}: aggregates must read a child table joined one-to-many`);
          if (!aggregate && dir !== "many-to-one")
            problems.push(
              `${cl}: non-aggregated columns must come from a table joined many-to-one (else the grain breaks)`,
            );
        } else if (aggregate) problems.push(`${cl}: aggregating the root table changes the grain`);
        if (!tgt) continue;
        const tr = cm.transform;
        switch (tr.kind) {
          case "copy":
            if (!sameType(src.type, tgt.type))
              problems.push(`${cl}: copies ${renderType(src.type)} into ${renderType(tgt.type)}`);
            if (src.nullable && !tgt.nullable) problems.push(`${cl}: copies a nullable column into a NOT NULL column`);
            break;
          case "unknownMember":
            if (!sameType(src.type, tgt.type))
              problems.push(`${cl}: copies ${renderType(src.type)} into ${renderType(tgt.type)}`);
            break;
          case "dateKey":
            if (src.type.kind !== "datetime2" && src.type.kind !== "date")
              problems.push(`${cl}: dateKey needs a date/datetime2 source`);
            if (tgt.type.kind !== "int") problems.push(`${cl}: dateKey target must be INT`);
            break;
          case "isNotNull":
            if (tgt.type.kind !== "bit") problems.push(`${cl}: isNotNull target must be BIT`);
            break;
          case "sum":
          case "count":
            if (tr.kind === "sum" && !isNumericType(src.type))
              problems.push(`${cl}: sum of non-numeric ${renderType(src.type)}`);
            if (tgt.type.kind !== (tr.kind === "sum" ? "bigint" : "int") || tgt.nullable) {
              problems.push(`${cl}: ${tr.kind} target must be ${tr.kind === "sum" ? "BIGINT" : "INT"} NOT NULL`);
            }
            if (tr.where) {
              const wc = oltpColumn(cm.source.table, tr.where.column);
              if (!wc) problems.push(`${cl}: filter column dbo.${cm.source.table}.${tr.where.column} does not exist`);
              else {
                for (const v of tr.where.in) {
                  if (!wc.allowedValues?.includes(v))
                    problems.push(
                      `${cl}: filter value '${v}' is not an allowed value of dbo.${cm.source.table}.${wc.name}`,
                    );
                }
              }
            }
            break;
        }
      }
    } else if (m.kind === "enum") {
      const src = oltpColumn(m.source.table, m.source.column);
      if (!src?.allowedValues)
        problems.push(`${ml}: source dbo.${m.source.table}.${m.source.column} is not an enum column`);
      else {
        const rows = Object.keys(m.rows);
        const missing = src.allowedValues.filter((v) => !rows.includes(v));
        const extra = rows.filter((v) => !src.allowedValues?.includes(v));
        if (missing.length)
          problems.push(
            `${ml}: no row for allowed value(s) ${missing.join(", ")} of dbo.${m.source.table}.${m.source.column}`,
          );
        if (extra.length)
          problems.push(
            `${ml}: row(s) ${extra.join(", ")} are not allowed values of dbo.${m.source.table}.${m.source.column}`,
          );
        const keyCol = targetCols.get(m.keyColumn);
        if (keyCol && !sameType(keyCol.type, src.type))
          problems.push(
            `${ml}: key ${m.keyColumn} is ${renderType(keyCol.type)} but the source is ${renderType(src.type)}`,
          );
      }
      mark(m.keyColumn);
      if (target.primaryKey?.columns.join(",") !== m.keyColumn)
        problems.push(`${ml}: keyColumn ${m.keyColumn} is not the primary key`);
      const attributes = target.columns.filter((c) => c.name !== m.keyColumn);
      for (const c of attributes) mark(c.name);
      for (const [value, row] of Object.entries(m.rows)) {
        for (const c of attributes) {
          const v = row[c.name];
          if (v === undefined || (v === null && !c.nullable))
            problems.push(`${ml}: row '${value}' has no value for ${c.name}`);
          else if (!seedValueFits(v, c.type))
            problems.push(`${ml}: row '${value}' value ${JSON.stringify(v)} does not fit ${c.name}`);
        }
      }
    } else if (m.kind === "stream") {
      problems.push(...validateStreamMapping(m, targetCols));
      for (const c of m.columns) mark(c.target);
    } else {
      problems.push(...validateCalendar(m, target));
      for (const c of target.columns) mark(c.name);
    }

    for (const c of target.columns) {
      const n = mapped.get(c.name) ?? 0;
      if (n === 0) problems.push(`${ml}.${c.name}: target column is not loaded by the mapping`);
      if (n > 1) problems.push(`${ml}.${c.name}: target column is mapped ${n} times`);
    }
  }

  for (const t of star) {
    if (!mappingByTarget.has(t.name)) problems.push(`mapping ${t.name}: ${t.role} has no source mapping`);
  }

  // CDC flags follow the mappings: every table the ETL reads is CDC-enabled, and CDC is not paid for tables nobody reads.
  for (const table of oltp.tables) {
    const read = readByEtl.has(table.name);
    const mode = table.extraction.mode;
    if (read && mode === "none")
      problems.push(`oltp dbo.${table.name}: read by the nightly ETL but its extraction mode is none`);
    if (!read && mode !== "none")
      problems.push(`oltp dbo.${table.name}: extracted (${mode}) but no warehouse mapping reads it`);
  }

  // Fact keys must be loaded from the same OLTP key the dimension is keyed by (or a foreign key to it).
  for (const fact of star.filter((t) => t.role === "fact")) {
    const fm = mappingByTarget.get(fact.name);
    if (fm?.kind !== "oltp") continue;
    for (const r of fact.references ?? []) {
      const rl = `mapping ${fact.name}.${r.column}`;
      const cm = fm.columns.find((c) => c.target === r.column);
      const dm = mappingByTarget.get(r.dimension);
      if (!cm || !dm) continue;
      const from = `dbo.${cm.source.table}.${cm.source.column}`;
      if (dm.kind === "calendar") {
        if (cm.transform.kind !== "dateKey")
          problems.push(`${rl}: ${r.dimension} is a generated calendar; load the key with dateKey`);
        else if (olapByName.get(r.dimension)?.unknownMember?.[r.dimensionColumn] !== cm.transform.unknown)
          problems.push(
            `${rl}: maps dates outside the calendar to ${cm.transform.unknown}, but ${r.dimension} has no unknown member with that key`,
          );
      } else if (dm.kind === "enum") {
        if (cm.source.table !== dm.source.table || cm.source.column !== dm.source.column) {
          problems.push(
            `${rl}: loaded from ${from}, but ${r.dimension} enumerates dbo.${dm.source.table}.${dm.source.column}`,
          );
        }
      } else if (dm.kind === "oltp") {
        const key = dm.columns.find((c) => c.target === r.dimensionColumn);
        if (!key) continue;
        const same = key.source.table === cm.source.table && key.source.column === cm.source.column;
        if (!same && joinDirection(oltp, cm.source, key.source) !== "many-to-one") {
          problems.push(
            `${rl}: loaded from ${from}, which is not dbo.${key.source.table}.${key.source.column} ` +
              `(the key of ${r.dimension}) nor a foreign key to it`,
          );
        }
        if (cm.transform.kind === "unknownMember") {
          const dim = olapByName.get(r.dimension);
          if (dim?.unknownMember?.[r.dimensionColumn] !== cm.transform.value) {
            problems.push(
              `${rl}: maps NULL to ${cm.transform.value}, but ${r.dimension} has no unknown member with that key`,
            );
          }
        } else {
          const src = oltpColumn(cm.source.table, cm.source.column);
          const nullableJoin = fm.joins.some(
            (j) => j.to.table === cm.source.table && oltpColumn(j.from.table, j.from.column)?.nullable,
          );
          if (src?.nullable || nullableJoin)
            problems.push(`${rl}: source can be NULL; use the unknownMember transform`);
        }
      }
    }
  }

  // Staging tables mirror OLTP columns exactly.
  for (const stg of olap.tables.filter((t) => t.role === "staging")) {
    const src = oltpTables.get(stg.name);
    const sl = `olap ${stg.schema}.${stg.name}`;
    if (!src) {
      problems.push(`${sl}: staging table has no OLTP table of that name`);
      continue;
    }
    const mode = src.extraction.mode;
    if (mode === "none") problems.push(`${sl}: stages dbo.${src.name}, which is not extracted`);
    else {
      const meta = stg.columns.filter((x) => stagingChangeColumnNames.has(x.name)).map((x) => x.name);
      const expected = stagingChangeColumns[mode].map((x) => x.name);
      if (meta.join(",") !== expected.join(","))
        problems.push(
          `${sl}: change columns ${meta.join(", ")} do not match ${mode} extraction (${expected.join(", ")})`,
        );
    }
    for (const c of stg.columns.filter((x) => !stagingChangeColumnNames.has(x.name))) {
      const o = src.columns.find((x) => x.name === c.name);
      if (!o) problems.push(`${sl}.${c.name}: no such column in dbo.${src.name}`);
      else if (!sameType(o.type, c.type))
        problems.push(`${sl}.${c.name}: ${renderType(c.type)} differs from dbo.${src.name} ${renderType(o.type)}`);
      else if (o.classification) problems.push(`${sl}.${c.name}: stages ${o.classification.kind} data`);
    }
  }
  return problems;
}

/** The CDC capture instance and change table of an OLTP table: `dbo_Payment` / `cdc.dbo_Payment_CT`. */
export const captureInstance = (table: Pick<OltpTable, "schema" | "name">): string => `${table.schema}_${table.name}`;
export const cdcChangeTable = (table: Pick<OltpTable, "schema" | "name">): string => `cdc.${captureInstance(table)}_CT`;

/**
 * Columns the nightly ETL may read (and CDC captures): everything except classified (personal/card) data — change
 * tables are kept for days and outside the reach of erasure and masking; encrypted columns are classified too — and
 * ROWVERSION. The primary key is always included.
 */
export const capturedColumns = (table: OltpTable): string[] =>
  table.columns.filter((c) => !c.classification && !c.encryption && c.type.kind !== "rowversion").map((c) => c.name);

/** Tables the nightly ETL extracts, by mode. */
export const extractedTables = (model: OltpModel, mode: "cdc" | "changeTracking"): OltpTable[] =>
  model.tables.filter((t) => t.extraction.mode === mode);

/** The CHECK constraints and indexes that depend on a column (what must be dropped to re-apply its mask). */
export function maskDependencies(table: OltpTable, column: string): { checks: string[]; indexes: string[] } {
  const checks = checkReferences(table)
    .filter((c) => c.columns.includes(column))
    .map((c) => c.name);
  if (table.erasedAtColumn && erasureColumns(table).includes(column)) checks.push(`CK_${table.name}_Erasure`);
  const indexes = (table.indexes ?? [])
    .filter(
      (ix) =>
        [...ix.columns, ...(ix.include ?? [])].includes(column) ||
        (ix.where && referencedColumns(ix.where).includes(column)),
    )
    .map((ix) => ix.name);
  return { checks, indexes };
}

/**
 * Personal columns the erasure CHECK covers: every personal column that is not Always Encrypted (a CHECK cannot
 * reference an encrypted column; those are erased by the erasure procedure, see docs/data-model-decisions.md).
 */
export const erasureColumns = (table: OltpTable): string[] =>
  table.columns.filter((c) => c.classification?.kind === "personal" && !c.encryption).map((c) => c.name);

// --- Stream and calendar mappings ---------------------------------------------------------------------------------

const STREAM_TYPES: Record<string, (type: SqlType) => boolean> = {
  windowStart: (x) => x.kind === "datetime2",
  windowDateKey: (x) => x.kind === "int",
  windowHour: (x) => x.kind === "tinyint",
  count: (x) => x.kind === "int" || x.kind === "bigint",
  countWhere: (x) => x.kind === "int" || x.kind === "bigint",
  sum: (x) => x.kind === "bigint",
  max: isIntegerType,
  percentile: isNumericType,
  ratio: (x) => x.kind === "decimal",
  group: () => true,
};

function validateStreamMapping(m: StreamTableMapping, targetCols: Map<string, Column>): string[] {
  const problems: string[] = [];
  const ml = `mapping ${m.target}`;
  if (!m.window.timestampField.trim() || !(m.window.seconds > 0))
    problems.push(`${ml}: the window needs an event-time field and a positive length`);
  const byTarget = new Map(m.columns.map((c) => [c.target, c.value]));
  if (![...byTarget.values()].some((v) => v.kind === "windowStart"))
    problems.push(`${ml}: no windowStart column, so the grain has no time`);
  for (const { target, value } of m.columns) {
    const cl = `${ml}.${target}`;
    const tgt = targetCols.get(target);
    if (tgt && !STREAM_TYPES[value.kind](tgt.type))
      problems.push(`${cl}: ${value.kind} cannot be stored in ${renderType(tgt.type)}`);
    if ("field" in value && !value.field.trim()) problems.push(`${cl}: no source field`);
    if (value.kind === "percentile" && !(value.p > 0 && value.p < 1))
      problems.push(`${cl}: percentile ${value.p} is not between 0 and 1`);
    if (value.kind === "countWhere" && value.min > value.max)
      problems.push(`${cl}: range ${value.min}..${value.max} is empty`);
    if (value.kind === "ratio") {
      for (const side of [value.numerator, value.denominator]) {
        const k = byTarget.get(side)?.kind;
        if (k !== "count" && k !== "countWhere" && k !== "sum")
          problems.push(`${cl}: ratio term ${side} is not a count or sum column of this mapping`);
      }
    }
    if (value.kind === "group" && tgt && !tgt.nullable && value.whenNull === undefined && /Key$/.test(target))
      problems.push(`${cl}: a key grouped from an optional field needs whenNull (the unknown member)`);
  }
  return problems;
}

function validateCalendar(m: CalendarTableMapping, target: OlapTable): string[] {
  const problems: string[] = [];
  const ml = `mapping ${m.target}`;
  const iso = /^\d{4}-\d{2}-\d{2}$/;
  if (!iso.test(m.from) || !iso.test(m.to) || Number.isNaN(Date.parse(m.from)) || Number.isNaN(Date.parse(m.to)))
    problems.push(`${ml}: from/to must be ISO dates (yyyy-mm-dd)`);
  else if (m.from > m.to) problems.push(`${ml}: from ${m.from} is after to ${m.to}`);
  for (const c of target.columns)
    if (!(c.name in m.columns)) problems.push(`${ml}.${c.name}: calendar column has no expression`);
  for (const [name, expression] of Object.entries(m.columns)) {
    if (!target.columns.some((c) => c.name === name)) problems.push(`${ml}.${name}: target column does not exist`);
    for (const ref of referencedColumns(expression))
      if (ref !== "Date") problems.push(`${ml}.${name}: expression refers to [${ref}]; only [Date] is defined`);
  }
  return problems;
}

// --- Materialized views -------------------------------------------------------------------------------------------

/** Microsoft's CREATE MATERIALIZED VIEW AS SELECT restrictions for a dedicated pool, as far as the model can break them. */
export function validateMaterializedViews(olap: OlapModel): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const mv of olap.materializedViews) {
    const vl = `materialized view ${mv.schema}.${mv.name}`;
    if (names.has(mv.name)) problems.push(`${vl}: duplicate name`);
    names.add(mv.name);
    if (!IDENTIFIER.test(mv.name) || !IDENTIFIER.test(mv.schema)) problems.push(`${vl}: invalid identifier`);
    if (!mv.rationale.trim()) problems.push(`${vl}: distribution has no rationale`);
    const fact = olap.tables.find((t) => t.name === mv.fact && t.role === "fact");
    if (!fact) {
      problems.push(`${vl}: ${mv.fact} is not a fact table (a materialized view cannot reference views)`);
      continue;
    }
    const cols = new Map(fact.columns.map((c) => [c.name, c]));
    if (fact.columns.some((c) => c.classification))
      problems.push(`${vl}: ${mv.fact} has masked columns — a materialized view can't be created on a table with DDM`);
    if (mv.groupBy.length === 0 || mv.groupBy.length > 32) problems.push(`${vl}: GROUP BY needs 1 to 32 columns`);
    for (const g of mv.groupBy) if (!cols.has(g)) problems.push(`${vl}: GROUP BY column ${g} does not exist`);
    if (mv.measures.length === 0) problems.push(`${vl}: a materialized view needs an aggregate`);
    const outputs = new Set(mv.groupBy);
    for (const me of mv.measures) {
      if (outputs.has(me.name)) problems.push(`${vl}: output column ${me.name} is defined twice`);
      outputs.add(me.name);
      if (me.aggregate === "SUM") {
        const c = me.column ? cols.get(me.column) : undefined;
        if (!c) problems.push(`${vl}.${me.name}: SUM of a missing column ${me.column ?? "(none)"}`);
        else if (!isNumericType(c.type)) problems.push(`${vl}.${me.name}: SUM of non-numeric ${renderType(c.type)}`);
        else if (c.nullable && !mv.measures.some((x) => x.aggregate === "COUNT_BIG" && x.column === c.name))
          problems.push(`${vl}.${me.name}: SUM over nullable ${c.name} needs COUNT_BIG(${c.name}) in the view`);
      } else if (me.column && !cols.has(me.column)) problems.push(`${vl}.${me.name}: COUNT_BIG of a missing column`);
    }
    if (mv.distribution.kind === "HASH" && !mv.groupBy.includes(mv.distribution.column))
      problems.push(`${vl}: distribution column ${mv.distribution.column} is not a GROUP BY column`);
  }
  return problems;
}
