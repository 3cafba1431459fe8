/**
 * The name checker of the operations tier's queries (alerts, workbooks, Sentinel rules): the KQL words a query may use,
 * the tables it reads and the names it defines, against the catalogue of what the diagnostics send (tables.ts). Tests
 * run every query through it, so a typo or a column nothing sends fails before a deploy.
 */
import { STANDARD_COLUMNS, TABLES } from "./tables";

/**
 * KQL words a query may use besides its tables' columns and the names it defines: operators, functions, keywords
 * and literals. A word outside this list and the catalogue fails the tests (a typo or an unsent column).
 */
export const KQL_WORDS = new Set([
  "let",
  "toscalar",
  "print",
  "coalesce",
  "lookup",
  "pow",
  "where",
  "summarize",
  "by",
  "extend",
  "project",
  "order",
  "asc",
  "desc",
  "top",
  "take",
  "limit",
  "and",
  "or",
  "not",
  "in",
  "has",
  "contains",
  "startswith",
  "matches",
  "regex",
  "endswith",
  "between",
  "join",
  "kind",
  "inner",
  "leftouter",
  "on",
  "union",
  "isfuzzy",
  "datatable",
  "render",
  "timechart",
  "barchart",
  "piechart",
  "columnchart",
  "areachart",
  "with",
  "parse",
  "let",
  "count",
  "countif",
  "dcount",
  "sum",
  "sumif",
  "avg",
  "avgif",
  "min",
  "max",
  "percentile",
  "percentiles",
  "percentilew",
  "bin",
  "ago",
  "now",
  "datetime_diff",
  "isnull",
  "isnotnull",
  "isempty",
  "isnotempty",
  "iff",
  "case",
  "todouble",
  "toint",
  "tolong",
  "tostring",
  "round",
  "strcat",
  "tolower",
  "toupper",
  "long",
  "string",
  "int",
  "real",
  "double",
  "bool",
  "datetime",
  "dynamic",
  "true",
  "false",
  "make_set",
  "arg_max",
  "take_any",
  "millisecond",
  "minute",
  "hour",
  "day",
  "h",
  "m",
  "d",
  "s",
  "ms",
  "distinct",
  "mv_expand",
  "mv",
  "expand",
  "typeof",
  "column_ifexists",
  "to",
  "todynamic",
  "parse_json",
  "tostring",
  "tobool",
  "split",
  "array_length",
  "extract",
  "format_datetime",
  "startofday",
  "series_stats",
  "has_any",
  "in~",
  "contains_cs",
  "ingestion_time",
  "trim_start",
  "coalesce",
  "count_",
  "split",
  "row_number",
  "prev",
  "sort",
  "serialize",
  "project_away",
  "getschema",
  "toupper",
  "trim",
]);

/**
 * The tables a `union [option=value …] A, (B | …), (datatable(…)[])` statement starting at `from` reads: the first
 * word of each top-level operand, except a `datatable` literal.
 */
function unionOperands(body: string, from: number): string[] {
  const rest = body.slice(from).replace(/^union\b(?:\s+\w+\s*=\s*\w+)*/, "");
  const operands: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of rest) {
    if (depth === 0 && (ch === "|" || ch === ";")) break;
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (depth === 0 && ch === ",") {
      operands.push(current);
      current = "";
    } else current += ch;
  }
  operands.push(current);
  return operands
    .map((o) => /^[\s(]*([A-Za-z_][A-Za-z0-9_]*)/.exec(o)?.[1])
    .filter((t): t is string => t !== undefined && t !== "datatable");
}

/** Tables a query reads: the first word, each operand of a `union`, and each table after `join (`. */
export function tablesOf(query: string): string[] {
  const body = stripStrings(query).replace(/\/\/[^\n]*/g, "");
  const tables = new Set<string>();
  // Statements: `let x = T | …;` / `let x = toscalar(T | …);` read T; the final statement starts with its table, or
  // with `print` (no table).
  for (const statement of body.split(";").map((x) => x.trim())) {
    const bound = /^let\s+\w+\s*=\s*(?:toscalar\s*\(\s*)?([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()/.exec(statement);
    // `toscalar(union …)`: the union's operands are read below.
    if (bound && bound[1] !== "union") tables.add(bound[1]);
    else if (/^let\b/.test(statement)) continue;
    else {
      const first = /^([A-Za-z_][A-Za-z0-9_]*)/.exec(statement);
      if (first && first[1] !== "print" && first[1] !== "union") tables.add(first[1]);
    }
  }
  for (const m of body.matchAll(/\bjoin(?:\s+kind\s*=\s*\w+)?\s*\(?\s*([A-Za-z_][A-Za-z0-9_]*)/g)) tables.add(m[1]);
  for (const m of body.matchAll(/\bunion\b/g)) unionOperands(body, m.index).forEach((t) => tables.add(t));
  // A `let` name joined or unioned later is the query's own tabular value, not a table of the workspace.
  for (const m of body.matchAll(/(?:^|;)\s*let\s+([A-Za-z_][A-Za-z0-9_]*)\s*=/g)) tables.delete(m[1]);
  return [...tables];
}

/** The query with string literals removed (their content is data, not names). */
export function stripStrings(query: string): string {
  return query.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
}

/** Names a query defines: `X =` in extend/summarize/project/let, and `X:type` in parse patterns. */
export function definedNames(query: string): Set<string> {
  const body = stripStrings(query);
  const names = new Set<string>();
  for (const m of body.matchAll(/\b([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=|~)/g)) names.add(m[1]);
  for (const m of body.matchAll(/\b([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(?:long|string|int|real|double|datetime|bool)\b/g))
    names.add(m[1]);
  return names;
}

/**
 * Words of `query` that are neither KQL, nor a column of its tables (from the catalogue), nor defined by the query:
 * empty when the query only names what the diagnostics send. Unknown tables are reported as `table:<name>`.
 */
export function unknownNames(query: string, sentTables: ReadonlySet<string>): string[] {
  const tables = tablesOf(query);
  const problems: string[] = [];
  const columns = new Set<string>(STANDARD_COLUMNS);
  for (const t of tables) {
    const spec = TABLES[t];
    if (!spec || !sentTables.has(t)) {
      problems.push(`table:${t}`);
      continue;
    }
    spec.columns.forEach((c) => columns.add(c));
  }
  const defined = definedNames(query);
  const body = stripStrings(query).replace(/\/\/[^\n]*/g, "");
  for (const m of body.matchAll(/(?<![.\w])([A-Za-z_][A-Za-z0-9_]*)/g)) {
    const word = m[1];
    if (KQL_WORDS.has(word) || columns.has(word) || defined.has(word) || tables.includes(word)) continue;
    if (/^\d/.test(word)) continue;
    problems.push(word);
  }
  return [...new Set(problems)];
}
