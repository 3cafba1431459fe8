/**
 * The Stream Analytics query of flow 3, kept as a `.asaql` file (editable and locally runnable with Microsoft's
 * Stream Analytics tools) and read by the streaming tier (components/streaming). Pure helpers that read the query's
 * input/output aliases and the columns it writes, so tests can hold the job and the data model to the file.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The query file, beside this module. */
export const QUERY_FILE = path.join(__dirname, "apiPerformance.asaql");
/** Local-run sample input (the relay's events) and the rows the query must produce from it. */
export const SAMPLE_INPUT_FILE = path.join(__dirname, "samples", "ApiLogs.json");
export const SAMPLE_OUTPUT_FILE = path.join(__dirname, "samples", "FactApiPerformance.expected.json");

/** Alias of the job's Event Hubs input (the api-logs hub). */
export const INPUT_ALIAS = "ApiLogs";
/** Alias of the job's Synapse output (dbo.Fact_API_Performance). */
export const OUTPUT_ALIAS = "FactApiPerformance";

/** The query text, exactly as committed. */
export function readQuery(file: string = QUERY_FILE): string {
  return fs.readFileSync(file, "utf8");
}

/** The query without `--` comments and string literals (so aliases in comments or strings do not count). */
function code(query: string): string {
  return query.replace(/'(?:[^']|'')*'/g, "''").replace(/--[^\n]*/g, "");
}

/** Names defined by `WITH x AS (` / `, y AS (` steps: sources that are not job inputs. */
function steps(query: string): Set<string> {
  const names = new Set<string>();
  for (const m of code(query).matchAll(/(?:\bWITH|,)\s*\[?([A-Za-z_][A-Za-z0-9_]*)\]?\s+AS\s*\(/gi)) names.add(m[1]);
  return names;
}

/** The job inputs a query reads (FROM/JOIN sources that are not steps) and the outputs it writes (INTO). */
export function queryAliases(query: string): { inputs: string[]; outputs: string[] } {
  const text = code(query);
  const own = steps(query);
  const inputs = new Set<string>();
  for (const m of text.matchAll(/\b(?:FROM|JOIN)\s+\[?([A-Za-z_][A-Za-z0-9_-]*)\]?/gi)) {
    if (!own.has(m[1])) inputs.add(m[1]);
  }
  const outputs = new Set<string>();
  for (const m of text.matchAll(/\bINTO\s+\[?([A-Za-z_][A-Za-z0-9_-]*)\]?/gi)) outputs.add(m[1]);
  return { inputs: [...inputs].sort(), outputs: [...outputs].sort() };
}

/** Splits a select list on top-level commas (not inside parentheses). */
function splitTopLevel(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of list) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  if (current.trim()) parts.push(current);
  return parts.map((p) => p.trim());
}

/**
 * The column names, in order, of the SELECT that writes `INTO output`: each item's `AS` alias, or the bare column
 * name. Throws when the query has no such SELECT or an item has no name.
 */
export function outputColumns(query: string, output: string): string[] {
  const text = code(query);
  const re = new RegExp(`\\bSELECT\\b([\\s\\S]*?)\\bINTO\\s+\\[?${output}\\]?`, "gi");
  let last: RegExpExecArray | null = null;
  for (let m = re.exec(text); m; m = re.exec(text)) last = m;
  if (!last) throw new Error(`the query has no SELECT ... INTO ${output}`);
  // The nearest SELECT before INTO: drop anything up to an inner SELECT (CTEs precede the final statement).
  const list = last[1].split(/\bSELECT\b/i).pop() ?? "";
  return splitTopLevel(list).map((item) => {
    const alias = /\bAS\s+\[?([A-Za-z_][A-Za-z0-9_]*)\]?\s*$/i.exec(item);
    if (alias) return alias[1];
    const bare = /^\[?([A-Za-z_][A-Za-z0-9_]*)\]?$/.exec(item);
    if (bare) return bare[1];
    throw new Error(`output column '${item}' has no name: add AS <column>`);
  });
}

/**
 * Whether any step of the query is partitioned (`PARTITION BY`, or `TIMESTAMP BY … OVER PartitionId` at
 * compatibility level 1.2): only partitioned steps scale past one node.
 */
export function hasPartitionedStep(query: string): boolean {
  const text = code(query);
  return /\bPARTITION\s+BY\b/i.test(text) || /\bTIMESTAMP\s+BY\b[^,)]*?\bOVER\s+\[?PartitionId\]?/i.test(text);
}

/** Stream Analytics' largest SU V1 count for a job (without a cluster). */
export const MAX_JOB_STREAMING_UNITS = 216;
/**
 * "All non-partitioned steps together can scale up to six streaming units (SUs) for a Stream Analytics job"
 * (stream-analytics/stream-analytics-parallelization, "Calculate the max streaming units for a job").
 */
export const NON_PARTITIONED_MAX_STREAMING_UNITS = 6;

/** The most streaming units the query can use: 6 when no step is partitioned (more are billed and do nothing). */
export function maxUsefulStreamingUnits(query: string): number {
  return hasPartitionedStep(query) ? MAX_JOB_STREAMING_UNITS : NON_PARTITIONED_MAX_STREAMING_UNITS;
}
