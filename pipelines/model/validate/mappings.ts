// OLTP → OLAP mapping rules: sources exist and are extracted, joins follow foreign keys, the grain holds, fact keys
// come from the dimension's key, staging mirrors OLTP, streaming aggregates and the calendar fit their columns.
import type {
  CalendarTableMapping,
  Column,
  DataModel,
  OlapTable,
  OltpModel,
  SqlType,
  StreamTableMapping,
} from "../types";
import { stagingChangeColumnNames, stagingChangeColumns } from "../olap";
import { isIntegerType, isNumericType, renderType } from "../types";
import { referencedColumns, sameType, seedValueFits } from "./common";

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

    // Type 2 validity and flags are maintained by the load, not mapped from a source column.
    const h = target.history;
    const maintained = h ? [h.validFrom, h.validTo, h.isCurrent, h.isInferred] : [];
    if (h && m.kind === "oltp" && !oltpColumn(m.root, h.changedAt))
      problems.push(`${ml}: history.changedAt dbo.${m.root}.${h.changedAt} does not exist`);
    for (const c of target.columns) {
      if (maintained.includes(c.name)) continue;
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
