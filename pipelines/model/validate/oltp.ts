// OLTP (Azure SQL) rules: types, money, timestamps, card data, classification, masking, keys, ledger, extraction,
// Always Encrypted.
import type { Column, ErasureSubject, OltpModel, OltpTable } from "../types";
import { isBinaryType, isCharacterType, isIntegerType, renderType, typeLength } from "../types";
import {
  AMOUNT_MINOR,
  CURRENCY_TABLE,
  forbiddenCardName,
  IDENTIFIER,
  LAST4_PATTERN,
  PAN_DIGITS_PATTERN,
  personalDataName,
  referencedColumns,
  sameType,
  validateMask,
  validateType,
} from "./common";
import { checkReferences, erasedColumns, erasingSubjects, erasureKeyColumns, erasurePaths, rowOwners } from "./derived";

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
      // Personal data must be classified (masked, never extracted, erased) or say why the name misleads. Key columns
      // are exempt: a surrogate key (ShippingAddressId) identifies a row, and classified keys are refused below.
      const keyColumn = [table.primaryKey.columns, ...(table.foreignKeys ?? []).map((f) => f.columns)].some((k) =>
        k.includes(c.name),
      );
      const personalName = keyColumn ? undefined : personalDataName(c.name);
      if (c.notPersonal) {
        if (c.classification)
          problems.push(`${cl}: classified ${c.classification.kind} data cannot also be declared notPersonal`);
        else if (!c.notPersonal.reason.trim()) problems.push(`${cl}: notPersonal needs a reason`);
      } else if (personalName && !c.classification) {
        problems.push(
          `${cl}: column name suggests personal data ("${personalName}") but the column is not classified — ` +
            `classify it { kind: "personal", mask } (masked, never extracted, erased), or, if it holds no personal ` +
            `data, say why with notPersonal: { reason: "..." }`,
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
      // A character column named like a token must refuse a card number (a BIT flag or a number cannot hold one).
      const text = ["char", "varchar", "nchar", "nvarchar"].includes(c.type.kind);
      if (/Token$/.test(c.name) && text && !c.check?.includes(PAN_DIGITS_PATTERN)) {
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
        // Card data linked to a customer (last4, expiry, fingerprint) is the cardholder's personal data too.
        if (!c.nullable) {
          problems.push(
            `${cl}: ${c.classification.kind} data must be nullable so it can be erased (GDPR Art. 17) without deleting the record`,
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

/**
 * GDPR erasure (Art. 17): every classified column is set to NULL by a subject's generated erasure procedure
 * (`etl.usp_Erase<subject>`): it sits on a subject's table, or on a table with a single-column foreign key to the
 * table of a subject that erases referencing rows, and then that key may not be NULL unless the table is a subject of
 * its own (a guest's card has no customer to erase it through). Two subjects reach the same column only when the
 * table's own subject declares the others (`sharesRowsWith`: the same people's rows); otherwise erasing one could
 * erase the other's data. Classified data further away is refused
 * rather than reached over several foreign keys, where it could belong to more than one subject (see `erasurePaths`).
 */
export function validateErasure(model: OltpModel): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const s of model.erasureSubjects) {
    const sl = `erasureSubjects ${s.name}`;
    if (!/^[A-Z][A-Za-z0-9]*$/.test(s.name))
      problems.push(`${sl}: the name must be PascalCase (it names usp_Erase${s.name})`);
    if (names.has(s.name)) problems.push(`${sl}: duplicate subject name`);
    names.add(s.name);
    if (!s.description.trim()) problems.push(`${sl}: has no description`);
    for (const other of s.sharesRowsWith ?? [])
      if (!model.erasureSubjects.some((x) => x.name === other && x !== s))
        problems.push(`${sl}: sharesRowsWith names ${other}, which is no other subject`);
    const table = model.tables.find((t) => t.name === s.table);
    if (!table) {
      problems.push(`${sl}: table ${s.table} does not exist`);
      continue;
    }
    if (table.primaryKey.columns.length !== 1)
      problems.push(`${sl}: dbo.${s.table} needs a single-column primary key (the erasure procedure's parameter)`);
    if (!erasurePaths(model, s).some((p) => erasedColumns(p.table).length))
      problems.push(`${sl}: its erasure reaches no classified column`);
    problems.push(...validateOnlyWhereNull(model, s, table));
  }
  const erasedAt = model.tables.filter((t) => t.erasedAtColumn);
  if (erasedAt.length > 1)
    problems.push(`erasedAtColumn is set on ${erasedAt.map((t) => t.name).join(", ")}: one table (the customer) only`);
  for (const t of erasedAt)
    if (!model.erasureSubjects.some((s) => s.table === t.name))
      problems.push(`oltp ${t.schema}.${t.name}: has an erasedAtColumn but is no erasure subject's table`);
  for (const table of model.tables) {
    const classified = table.columns.filter((c) => c.classification);
    if (!classified.length) continue;
    const subjects = erasingSubjects(model, table);
    // A subject of the table itself erases any of its rows, also one whose foreign key to another subject is NULL;
    // another subject reaches only the rows that reference its own (a customer's cards, not a guest's).
    const own = subjects.filter((s) => s.table === table.name);
    const throughKeys = subjects.filter((s) => s.table !== table.name);
    const unreachable = own.length
      ? []
      : erasureKeyColumns(model, table, throughKeys).filter((k) => table.columns.find((c) => c.name === k)?.nullable);
    for (const c of classified) {
      const cl = `oltp ${table.schema}.${table.name}.${c.name}`;
      if (unreachable.length) {
        problems.push(
          `${cl}: ${c.classification?.kind} data on rows whose ${unreachable.join(", ")} is NULL, which no GDPR ` +
            `erasure reaches (the erasure finds rows through that key): make it NOT NULL, or declare a subject for ` +
            `${table.name} (oltpModel.erasureSubjects) that erases any of its rows`,
        );
      }
      if (!subjects.length) {
        problems.push(
          `${cl}: ${c.classification?.kind} data that no GDPR erasure reaches — an erasure procedure nulls classified ` +
            `columns only on an erasure subject's table (oltpModel.erasureSubjects) and, when the subject erases ` +
            `referencing rows, on tables with a single-column foreign key to it: give ${table.name} a foreign key to ` +
            `the subject's table (Customer for a payer's data), or declare a subject for ${table.name}`,
        );
      } else if (
        subjects.length > 1 &&
        !(own.length === 1 && throughKeys.every((s) => own[0].sharesRowsWith?.includes(s.name)))
      ) {
        problems.push(
          `${cl}: reached by the erasure of more than one subject (${subjects.map((s) => s.name).join(", ")}): ` +
            `erasing one would erase the other's data — keep each subject's personal data in its own table`,
        );
      }
    }
  }
  return problems;
}

/**
 * `onlyWhereNull`: each column a nullable foreign key of the subject's table through which a subject it shares rows
 * with reaches it (otherwise a row with the column set would be erased by no one, or every row refused), and every
 * such key listed (otherwise a wrong id clears the other subject's rows through this one).
 */
function validateOnlyWhereNull(model: OltpModel, s: ErasureSubject, table: OltpTable): string[] {
  const problems: string[] = [];
  const sl = `erasureSubjects ${s.name}`;
  const guarded = s.onlyWhereNull ?? [];
  for (const column of guarded) {
    const c = table.columns.find((x) => x.name === column);
    if (!c) {
      problems.push(`${sl}: onlyWhereNull names ${column}, which is no column of dbo.${table.name}`);
      continue;
    }
    if (!c.nullable)
      problems.push(
        `${sl}: onlyWhereNull names ${column}, which is NOT NULL: the erasure would refuse every dbo.${table.name} row`,
      );
    if (!rowOwners(model, s, column).length)
      problems.push(
        `${sl}: onlyWhereNull names ${column}, through which no subject of its sharesRowsWith ` +
          `(${(s.sharesRowsWith ?? []).join(", ") || "none"}) erases dbo.${table.name}: a row with ${column} set ` +
          `would be refused here and erased by no one`,
      );
  }
  for (const other of model.erasureSubjects.filter((o) => (s.sharesRowsWith ?? []).includes(o.name)))
    for (const p of erasurePaths(model, other).filter((x) => x.table === table))
      if (p.column !== table.primaryKey.columns[0] && !guarded.includes(p.column))
        problems.push(
          `${sl}: ${other.name} erases dbo.${table.name} rows through ${p.column}, which onlyWhereNull does not ` +
            `name: a wrong id would erase ${other.name}'s data through this subject, and its audit would not say ` +
            `whose — add onlyWhereNull: ["${p.column}"]`,
        );
  return problems;
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

/** Every declared column encryption key is wrapped by the declared column master key and used by a column. */
export function validateAlwaysEncryptedKeys(model: OltpModel): string[] {
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
