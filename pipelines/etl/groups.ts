// Facts about the nightly load derived from the model, shared by the SQL and the pipeline generators: which OLTP
// tables are extracted, what each staging table holds, and the "fact groups" (a fact's root table with the tables
// it joins), whose extractions must agree on which root rows the run re-derives.
import { extractionQueries, type ExtractionQuery } from "../generators/extraction";
import { stagingChangeColumns } from "../model/olap";
import type {
  Column,
  DataModel,
  OlapTable,
  OltpColumnMapping,
  OltpTable,
  OltpTableMapping,
  TableMapping,
} from "../model/types";

export type ExtractedMode = "cdc" | "changeTracking";

/** One extracted OLTP table, with its staging table and its source query. */
export interface ExtractedTable {
  table: OltpTable;
  mode: ExtractedMode;
  staging: OlapTable;
  query: ExtractionQuery;
  /** The change-metadata columns of its mode: position (LSN or version) and operation. */
  positionColumn: string;
  operationColumn: string;
  /** Staging columns without the change metadata, in staging order (= the OLTP columns read). */
  dataColumns: Column[];
}

export function extractedTables(model: DataModel): ExtractedTable[] {
  const queries = extractionQueries(model.oltp, model.olap);
  return queries.map((query) => {
    const table = model.oltp.tables.find((t) => `${t.schema}.${t.name}` === query.source);
    const staging = model.olap.tables.find((t) => `${t.schema}.${t.name}` === query.staging);
    if (!table || !staging) throw new Error(`extraction ${query.source} → ${query.staging} does not resolve`);
    const [position, operation] = stagingChangeColumns[query.mode];
    return {
      table,
      mode: query.mode,
      staging,
      query,
      positionColumn: position.name,
      operationColumn: operation.name,
      dataColumns: staging.columns.filter((c) => c.name !== position.name && c.name !== operation.name),
    };
  });
}

/** A table joined to a fact's root: a child (one-to-many, by a column referencing the root key) or a parent. */
export interface GroupMember {
  table: string;
  /** Column of this table in the join. */
  column: string;
  /** Column of the root table in the join. */
  rootColumn: string;
  relation: "child" | "parent";
}

/** A fact's root table and the tables joined to it: re-deriving a fact row needs all of them for that root key. */
export interface FactGroup {
  fact: string;
  mapping: OltpTableMapping;
  root: string;
  /** Single-column key of the root (the fact's grain). */
  rootKey: string;
  members: GroupMember[];
}

export function factGroups(model: DataModel): FactGroup[] {
  const groups: FactGroup[] = [];
  for (const m of model.olap.mappings) {
    if (m.kind !== "oltp") continue;
    const fact = model.olap.tables.find((t) => t.name === m.target);
    if (fact?.role !== "fact") continue;
    const root = model.oltp.tables.find((t) => t.name === m.root);
    if (!root || root.primaryKey.columns.length !== 1) {
      throw new Error(`${m.target}: the root dbo.${m.root} needs a single-column primary key for the nightly load`);
    }
    const rootKey = root.primaryKey.columns[0];
    const members = m.joins.map<GroupMember>((j) => {
      if (j.from.table !== m.root)
        throw new Error(`${m.target}: join ${j.from.table} → ${j.to.table} must start at the root`);
      return {
        table: j.to.table,
        column: j.to.column,
        rootColumn: j.from.column,
        relation: j.from.column === rootKey ? "child" : "parent",
      };
    });
    groups.push({ fact: m.target, mapping: m, root: m.root, rootKey, members });
  }
  return groups;
}

/** The groups an extracted table belongs to (as root or member). */
export const groupsOf = (groups: FactGroup[], table: string) =>
  groups.filter((g) => g.root === table || g.members.some((m) => m.table === table));

/** Mappings of the dimensions and facts the nightly ETL loads from OLTP data. */
export const oltpMappings = (mappings: TableMapping[]): OltpTableMapping[] =>
  mappings.filter((m): m is OltpTableMapping => m.kind === "oltp");

/** The column mapping of a target column. */
export const columnMapping = (m: OltpTableMapping, target: string): OltpColumnMapping | undefined =>
  m.columns.find((c) => c.target === target);

/** The OLTP table a name designates (throws with the name if the model lacks it). */
export function oltpTableOf(model: DataModel, name: string): OltpTable {
  const t = model.oltp.tables.find((x) => x.name === name);
  if (!t) throw new Error(`dbo.${name} is not in the OLTP model`);
  return t;
}

/** The OLAP table a name designates. */
export function olapTableOf(model: DataModel, name: string): OlapTable {
  const t = model.olap.tables.find((x) => x.name === name);
  if (!t) throw new Error(`${name} is not in the OLAP model`);
  return t;
}
