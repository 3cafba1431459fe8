// OLAP (Synapse dedicated SQL pool) rules: supported types and constraints, distribution and index per role, fact →
// dimension references, unknown members, and the restrictions of CREATE MATERIALIZED VIEW AS SELECT.
import type { DimensionHistory, OlapModel, OlapTable } from "../types";
import { isNumericType, renderType } from "../types";
import { IDENTIFIER, sameType, seedValueFits, UNSUPPORTED_IN_SYNAPSE, validateMask, validateType } from "./common";

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
      const h = table.history;
      if (!h && (!table.primaryKey || table.primaryKey.columns.length !== 1))
        problems.push(`${tl}: dimensions need a single-column primary key`);
      if (h) problems.push(...validateHistory(tl, table, h));
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
      // A type 2 dimension is referenced by its durable key (the first primary key column), not by a version.
      const dimKey = dim.history ? dim.primaryKey?.columns[0] : dim.primaryKey?.columns.join(",");
      if (dimKey !== r.dimensionColumn)
        problems.push(
          `${rl}: ${r.dimension}.${r.dimensionColumn} is not its ${dim.history ? "durable " : ""}primary key`,
        );
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

/** Type 2 history: the PK is (durable key, validFrom); validity and flags typed and NOT NULL; tracked attributes exist. */
function validateHistory(tl: string, table: OlapTable, h: DimensionHistory): string[] {
  const problems: string[] = [];
  const col = (n: string) => table.columns.find((c) => c.name === n);
  const key = table.primaryKey?.columns[0];
  if (!key || table.primaryKey?.columns.length !== 2 || table.primaryKey.columns[1] !== h.validFrom)
    problems.push(`${tl}: a type 2 dimension's primary key is (durable key, ${h.validFrom})`);
  for (const [n, kind] of [
    [h.validFrom, "datetime2"],
    [h.validTo, "datetime2"],
    [h.isCurrent, "bit"],
    [h.isInferred, "bit"],
  ] as const) {
    const c = col(n);
    if (!c) problems.push(`${tl}: history column ${n} does not exist`);
    else if (c.type.kind !== kind || c.nullable)
      problems.push(`${tl}: history column ${n} must be ${kind.toUpperCase()} NOT NULL`);
  }
  if (!h.tracked.length) problems.push(`${tl}: a type 2 dimension tracks at least one attribute`);
  for (const n of h.tracked) {
    if (!col(n)) problems.push(`${tl}: tracked attribute ${n} does not exist`);
    if (n === key || [h.validFrom, h.validTo, h.isCurrent, h.isInferred].includes(n))
      problems.push(`${tl}: ${n} is a key or history column, not a tracked attribute`);
  }
  return problems;
}
