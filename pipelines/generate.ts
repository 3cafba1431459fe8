// Generates the T-SQL under pipelines/sql/ and the Data Factory JSON under pipelines/adf/ from the typed data model
// (pipelines/model/).
//
//   npm run sql:generate   (tsx pipelines/generate.ts)          validate the model, (re)write pipelines/sql and pipelines/adf
//   npm run sql:check      (tsx pipelines/generate.ts --check)  exit 1, listing stale files, if they are not up to date
//
// The generator functions are pure and deterministic (no timestamps, stable order, LF line endings), and every
// statement they emit is idempotent: guarded by an existence check, so a script can be re-run safely.
import * as fs from "node:fs";
import * as path from "node:path";
import { generateColumnEncryptionKeysScript, generateColumnMasterKeyScript } from "./generators/alwaysEncrypted";
import { generateSqlFiles, type GeneratedFile } from "./generators/files";
import {
  generateDashboardsScript,
  generateOlapDdl,
  generateOlapEtlAccessScript,
  generateOlapReferenceData,
} from "./generators/olap";
import {
  generateChangeExtractionScript,
  generateEtlAccessScript,
  generateOltpDdl,
  generateOltpReferenceData,
} from "./generators/oltp";
import { generateStreamTargetsModule, STREAM_TARGETS_FILE } from "./generators/streamTargets";
import { generateAdfDefinitions } from "./etl";
import { dataModel } from "./model";
import type { DataModel } from "./model/types";
import { validateModel } from "./model/validate";

export { HEADER } from "./generators/tsql";
export { CDC_ROLE, ETL_PRINCIPAL_VARIABLE, maskStatement } from "./generators/oltp";
export { REFRESH_PROCEDURE } from "./generators/olap";
export { extractionQueries } from "./generators/extraction";
export type { ExtractionQuery } from "./generators/extraction";
export {
  generateChangeExtractionScript,
  generateColumnEncryptionKeysScript,
  generateColumnMasterKeyScript,
  generateDashboardsScript,
  generateEtlAccessScript,
  generateOlapDdl,
  generateOlapEtlAccessScript,
  generateOlapReferenceData,
  generateOltpDdl,
  generateOltpReferenceData,
};

export const SQL_DIR = path.join(__dirname, "sql");
/** The Data Factory definitions as JSON (`az datafactory pipeline|dataset|trigger create` input), by kind. */
export const ADF_DIR = path.join(__dirname, "adf");
/** Extensions of generated files (a leftover file with one of them is reported as extra). */
const GENERATED_EXTENSIONS = [".sql", ".ps1"];
const ADF_EXTENSIONS = [".json"];
/** The function package's generated module (the Synapse loader's columns). */
export const FUNCTIONS_GENERATED_DIR = path.join(__dirname, "functions", "src", "generated");
const FUNCTIONS_EXTENSIONS = [".ts"];

/** The function package's generated TypeScript. */
export function generateFunctionFiles(model: DataModel): GeneratedFile[] {
  return [{ file: STREAM_TARGETS_FILE, content: generateStreamTargetsModule(model.olap) }];
}

// --- Files ----------------------------------------------------------------------------------------------------

export type { GeneratedFile };

/** All generated files, in the order they are applied. */
export function generateAll(model: DataModel): GeneratedFile[] {
  return generateSqlFiles(model);
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/**
 * The Data Factory definitions of the prod shape (the dev pool schedule's triggers depend on the stack) as the files
 * `az datafactory pipeline create --pipeline @pipelines/adf/pipeline/<name>.json` (dataset / trigger:
 * `--properties @…`) accepts: each file is the resource's `properties` object, its name is the file name.
 */
export function generateAdfFiles(model: DataModel): GeneratedFile[] {
  const defs = generateAdfDefinitions(model);
  return [
    ...defs.pipelines.map((p) => ({ file: `pipeline/${p.name}.json`, content: json(p.properties) })),
    ...defs.datasets.map((d) => ({ file: `dataset/${d.name}.json`, content: json(d.properties) })),
    ...defs.triggers.map((t) => ({ file: `trigger/${t.name}.json`, content: json(t.properties) })),
    { file: "globalParameters.json", content: json(defs.globalParameters) },
  ];
}

export interface CheckResult {
  /** Files whose content differs from what the model generates. */
  stale: string[];
  /** Generated files that do not exist on disk. */
  missing: string[];
  /** .sql/.ps1 files on disk the generator does not produce (left over from a rename). */
  extra: string[];
}

/** Files under `dir` (relative, `/`-separated, sorted), recursively. */
function listFiles(dir: string, prefix = ""): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
    )
    .sort();
}

export function checkGenerated(dir: string, files: GeneratedFile[], extensions = GENERATED_EXTENSIONS): CheckResult {
  const result: CheckResult = { stale: [], missing: [], extra: [] };
  for (const f of files) {
    const p = path.join(dir, f.file);
    if (!fs.existsSync(p)) result.missing.push(f.file);
    else if (fs.readFileSync(p, "utf8") !== f.content) result.stale.push(f.file);
  }
  const expected = new Set(files.map((f) => f.file));
  result.extra = listFiles(dir).filter((n) => extensions.some((e) => n.endsWith(e)) && !expected.has(n));
  return result;
}

export const isUpToDate = (r: CheckResult) => r.stale.length + r.missing.length + r.extra.length === 0;

export function describeCheck(r: CheckResult, dir = "pipelines/sql"): string {
  const lines = [
    ...r.stale.map((f) => `  stale:   ${dir}/${f}`),
    ...r.missing.map((f) => `  missing: ${dir}/${f}`),
    ...r.extra.map((f) => `  extra:   ${dir}/${f} (not generated by the model)`),
  ];
  return `${dir} is out of date with pipelines/model — run \`npm run sql:generate\` and commit the result:\n${lines.join("\n")}`;
}

export function main(
  argv: string[],
  dir = SQL_DIR,
  model: DataModel = dataModel,
  adfDir: string | undefined = dir === SQL_DIR ? ADF_DIR : undefined,
): number {
  const usage =
    "usage: npm run sql:generate   (writes pipelines/sql, pipelines/adf and pipelines/functions/src/generated from the data model)\n" +
    "       npm run sql:check      (exits 1 when a generated file is stale, writes nothing)";
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(usage);
    return 0;
  }
  const unknown = argv.filter((a) => a !== "--check");
  if (unknown.length) {
    console.error(`error (usage): unknown argument '${unknown.join(" ")}'\n${usage}`);
    return 2;
  }
  const problems = validateModel(model);
  if (problems.length) {
    console.error(
      `The data model is invalid (${problems.length} problem(s)); no SQL generated:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    return 1;
  }
  const outputs = [{ dir, label: "pipelines/sql", files: generateAll(model), extensions: GENERATED_EXTENSIONS }];
  if (adfDir) {
    outputs.push({ dir: adfDir, label: "pipelines/adf", files: generateAdfFiles(model), extensions: ADF_EXTENSIONS });
    outputs.push({
      dir: FUNCTIONS_GENERATED_DIR,
      label: "pipelines/functions/src/generated",
      files: generateFunctionFiles(model),
      extensions: FUNCTIONS_EXTENSIONS,
    });
  }
  const results = outputs.map((o) => ({ ...o, result: checkGenerated(o.dir, o.files, o.extensions) }));
  if (argv.includes("--check")) {
    const stale = results.filter((r) => !isUpToDate(r.result));
    if (!stale.length) {
      console.log(results.map((r) => `${r.label} is up to date (${r.files.length} files).`).join("\n"));
      return 0;
    }
    console.error(stale.map((r) => describeCheck(r.result, r.label)).join("\n"));
    return 1;
  }
  for (const r of results) {
    for (const f of r.files) {
      fs.mkdirSync(path.dirname(path.join(r.dir, f.file)), { recursive: true });
      fs.writeFileSync(path.join(r.dir, f.file), f.content);
    }
    for (const f of r.result.extra) fs.rmSync(path.join(r.dir, f));
    const changed = [...r.result.stale, ...r.result.missing];
    console.log(
      `Wrote ${r.files.length} files to ${r.label} (${changed.length ? `changed: ${changed.join(", ")}` : "no changes"}` +
        `${r.result.extra.length ? `; removed: ${r.result.extra.join(", ")}` : ""}).`,
    );
  }
  return 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
