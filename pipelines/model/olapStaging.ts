// The staging heaps of the nightly load, derived from the mappings: one per extracted OLTP table, with the change
// metadata of its extraction mode (pipelines/model/olap.ts assembles the model).
import type { Column, OlapTable, OltpModel, OltpTable, TableMapping } from "./types";
import { t } from "./types";
import { col } from "./olapStar";

/**
 * Change metadata carried by every staging table, by extraction mode. NULL for a row that did not change itself but
 * is re-read because a related row did (e.g. all refunds of a payment whose refund changed, to recompute
 * Fact_Payment.RefundedAmountMinor).
 * - CDC: `__$start_lsn` and `__$operation` of the cdc.fn_cdc_get_net_changes_* row (1 delete, 2 insert, 4 update).
 * - Change tracking: `SYS_CHANGE_VERSION` and `SYS_CHANGE_OPERATION` of CHANGETABLE(CHANGES …) (I, U, D).
 */
export const stagingChangeColumns: Record<"cdc" | "changeTracking", Column[]> = {
  cdc: [col("CdcStartLsn", t.binary(10), true), col("CdcOperation", t.int(), true)],
  changeTracking: [col("ChangeVersion", t.bigint(), true), col("ChangeOperation", t.char(1), true)],
};
/** Names of the change-metadata columns (they have no OLTP counterpart). */
export const stagingChangeColumnNames = new Set(
  Object.values(stagingChangeColumns).flatMap((cols) => cols.map((c) => c.name)),
);

/**
 * The staging distribution column of an OLTP table: the column on which a fact's load joins it to the fact's own
 * distribution key (the fact's root table's key, or the child column of a join from it), if any.
 */
function stagingHashColumn(table: OltpTable, facts: OlapTable[], mappings: TableMapping[]): string | undefined {
  for (const fact of facts) {
    const m = mappings.find((x) => x.target === fact.name);
    if (m?.kind !== "oltp" || fact.distribution.kind !== "HASH") continue;
    const hashColumn = fact.distribution.column;
    const key = m.columns.find((c) => c.target === hashColumn)?.source;
    if (!key || key.table !== m.root) continue;
    if (table.name === m.root) return key.column;
    const join = m.joins.find(
      (j) => j.from.table === m.root && j.from.column === key.column && j.to.table === table.name,
    );
    if (join) return join.to.column;
  }
  return undefined;
}

/**
 * One staging heap per extracted OLTP table, holding exactly the columns the mappings need (keys, join columns,
 * mapped and filter columns, the change time of a type 2 dimension's source) plus the change metadata of its
 * extraction mode — derived, so staging can never lack a mapped column or carry columns (such as personal data) that
 * no mapping needs. `star` are the star's tables: facts decide the hash columns, dimensions with history add their
 * change-time column.
 */
export function deriveStagingTables(oltp: OltpModel, mappings: TableMapping[], star: OlapTable[] = []): OlapTable[] {
  const facts = star.filter((t) => t.role === "fact");
  const needed = new Map<string, Set<string>>();
  const touch = (table: string): Set<string> => {
    const existing = needed.get(table);
    if (existing) return existing;
    const created = new Set<string>();
    needed.set(table, created);
    return created;
  };
  const need = (table: string, column: string) => touch(table).add(column);
  for (const m of mappings) {
    if (m.kind === "enum") need(m.source.table, m.source.column);
    if (m.kind !== "oltp") continue;
    touch(m.root);
    for (const j of m.joins) {
      need(j.from.table, j.from.column);
      need(j.to.table, j.to.column);
    }
    for (const c of m.columns) {
      need(c.source.table, c.source.column);
      if ((c.transform.kind === "sum" || c.transform.kind === "count") && c.transform.where) {
        need(c.source.table, c.transform.where.column);
      }
    }
    // A type 2 dimension dates each new version with its source row's change time.
    const target = star.find((t) => t.name === m.target);
    const history = target?.history;
    if (history) need(m.root, history.changedAt);
    // A dimension of the erasure subject loads an erased row's attributes as NULL (pipelines/etl/sql/load.ts): it
    // reads the subject's erasure time whether or not a column maps it.
    const erasedAt = oltp.tables.find((t) => t.name === m.root)?.erasedAtColumn;
    if (erasedAt && target?.role === "dimension") need(m.root, erasedAt);
  }
  const staging: OlapTable[] = [];
  for (const table of oltp.tables) {
    const cols = needed.get(table.name);
    if (!cols || table.extraction.mode === "none") continue;
    for (const pk of table.primaryKey.columns) cols.add(pk);
    const hash = stagingHashColumn(table, facts, mappings);
    const keyLike = (name: string) => table.primaryKey.columns.includes(name) || name === hash;
    const columns = table.columns
      .filter((c) => cols.has(c.name))
      .map<Column>((c) => ({
        name: c.name,
        type: c.type,
        // Keys (and the distribution column, which the extraction always fills: from the ledger history for a
        // deleted row) are always present; anything else may be absent on a delete or a related row.
        nullable: !keyLike(c.name),
      }));
    staging.push({
      schema: "stg",
      name: table.name,
      role: "staging",
      description: `Changed (and related) rows of dbo.${table.name} for the nightly load; truncated before each run.`,
      columns: [...stagingChangeColumns[table.extraction.mode], ...columns],
      distribution: hash ? { kind: "HASH", column: hash } : { kind: "ROUND_ROBIN" },
      index: { kind: "HEAP" },
      rationale: hash
        ? `HASH(${hash}) HEAP: the fact load joins this table on ${hash}, the distribution column of the fact, so ` +
          "the join and the apply to the fact move no data; a heap loads fastest and is read once. Never queried by reports."
        : "ROUND_ROBIN HEAP: load-once/read-once landing table; round-robin spreads the bulk insert evenly with no " +
          "hashing cost and a heap loads fastest. Never queried by reports.",
      stages: { table: table.name, extraction: table.extraction.mode },
    });
  }
  return staging;
}
