/**
 * docs/configuration.md against the validator (lib/config): every key of the namespace and every setting of the
 * structured keys is documented, the doc presents no setting the validator does not declare, and the allowed values,
 * ranges and defaults it states are the ones the validator accepts and applies. The settings, their bounds and their
 * defaults are read from the validator itself (`stackConfigSchema`, and at each place the list its "is not a setting"
 * error offers: `declaredSettings`), never from a list kept here.
 *
 * How the doc names a setting (the rules this file reads it by):
 * - A top-level key is a row of the "Plain keys" table, or the first backticked name of a `###` heading (the
 *   section of a structured key).
 * - In a structured key's section, a table row names settings in its first cell, in backticks, relative to the key:
 *   `sku.name`; `{a,b}` stands for each name (`containers.{apiLogs,sessions}.maxThroughput`), `*` or `<name>` for any
 *   name at that level (`containers.*.ttlSeconds`); a name without a dot after a dotted one is its sibling
 *   (`routing.p1`/`p2`, `workloadIsolation.{etl,bi}.minPercent`, `capPercent`). A shape in backticks in the row
 *   (`{ name, certificate }`, `{ emails?: [..], webhook: bool }`) names the settings inside each path of the row.
 * - A section without a table (a map such as `subnets`) names its settings in backticks in its text.
 * - An enumerated setting's allowed values are the longest list in its row's description: backticked values or
 *   numbers, each maybe followed by a parenthesis, separated by commas, "or", "and".
 * - A bounded number's range is an en dash or "to" between two numbers (`1–100`, `1,000–1,000,000`) in its row's
 *   description; in a table with a range column (`usage`, `load`: their sanity bounds), the column's entry for the
 *   setting's name: one entry per name of the first cell, separated by a comma and a space, or one for all.
 * Lists of items are transparent (`gateway.merchantCertificateAuthorities.name`).
 *
 * Defaults. The validator's default of a setting is its own `.default()` or `.prefault()`, as parseConfig yields it
 * when the stack leaves the setting out of a parent it sets (`ownDefault`); a group's (a key or a group the stack
 * leaves out whole: `ml`, `ingestion`, `streaming.relay`, `operations.routing`, `load.cosmos.sessions`) gives values to
 * its settings, and so does a structured key's Pulumi.yaml default, which the CLI passes. A plain key's default is
 * lib/config's or else Pulumi.yaml's (the two must agree where both have one). How the doc states them:
 * - A default column (Plain keys, `usage`, `load`): one entry per name of the first cell (or one for all), separated
 *   by a comma and a space (`10,240, 51,200, 50`): a value, `—` (none; `— (required)`: a plain key the stack must
 *   set), or other words (nothing stated); or a list of pairs (below).
 * - In a row's description: "default x", "defaults x, y and z" (in the order of the first cell's names), "default:
 *   x", "x (default)" or "x (the default", x a backticked value, a number, true, false or none (an empty list);
 *   "default" in backticks, or followed by no value ("by default the first day"), states nothing. A default naming
 *   another key, or holding a placeholder (`alertEmails`, `NetworkWatcher_<location>`), is one the program derives:
 *   the validator must have none there. A value stated for a setting the validator leaves without a default fails.
 * - A group's default: after "default:"/"defaults:" (in the section's prose, a row's description or its default
 *   cell), a list of pairs `name` value, names relative to the section's key and read as a first cell's (sibling
 *   rule, braces). A listed value must be one some default gives the setting (its own, or a group's around it).
 * What must be stated: the own default of every setting whose default is one value (a string, number or boolean),
 * in its row or a list of pairs; and every value a group's default gives a setting beyond its own default, in a list
 * of pairs. Defaults that are lists or maps (`alsoStop`'s empty list, a group's as a whole) are checked where stated
 * and otherwise required only value by value, through the lists of pairs: requiring them whole would have the doc
 * repeat every group as a structure next to its rows. Every plain key states its default, or `—`.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import {
  AVAILABILITY_ZONE_REGIONS,
  parseConfig,
  PROJECT,
  readRaw,
  SECRET_KEYS,
  SUBNET_PREFIX,
  SUBNET_ROLES,
  stackConfigSchema,
  unknownKeyProblems,
} from "../lib/config";
import { declaredSettings } from "../lib/config/strict";
import { loadStackConfig } from "../tools/lib/stackConfig";

const ROOT = path.join(__dirname, "..");
const DOC_PATH = path.join(ROOT, "docs", "configuration.md");

// ---------------------------------------------------------------------------------------------------------------
// The validator's settings
// ---------------------------------------------------------------------------------------------------------------

/** A place in the validator: a setting with a value of its own, a group of settings, or a removed setting. */
interface Setting {
  readonly path: string;
  readonly kind: "leaf" | "group" | "removed";
  readonly schema: z.ZodType;
  /** Its own default (`ownDefault`), if it has one. */
  readonly default?: Default;
}

/** A default: the value parseConfig gives a setting the stack leaves out. */
interface Default {
  readonly value: unknown;
}

/**
 * A setting's own default: the value its `.default()` or `.prefault()` gives it when the stack leaves it out of a
 * parent it sets, as zod yields it (a default as written, a prefault parsed), read through optional, nullable and a
 * transform's input. Undefined when it has none (required, or optional: absent stays absent).
 */
function ownDefault(s: z.ZodType): Default | undefined {
  if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault) return { value: s.parse(undefined) };
  if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) return ownDefault(s.unwrap() as z.ZodType);
  if (s instanceof z.ZodPipe) return ownDefault(s.in as z.ZodType);
  return undefined;
}

/** What wraps a setting without changing its shape: optional, default, prefault, nullable, a transform's input. */
function bare(s: z.ZodType): z.ZodType {
  if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) return bare(s.unwrap() as z.ZodType);
  if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault) return bare(s.unwrap() as z.ZodType);
  if (s instanceof z.ZodPipe) return bare(s.in as z.ZodType);
  return s;
}

const join = (parent: string, key: string) => (parent === "" ? key : `${parent}.${key}`);

/**
 * Every place below `at`: an object's declared settings (and its removed ones, apart), a list's item settings at the
 * list's own path, a map with fixed names (an enum of keys) per name, a map with names the stack chooses under `*`
 * when its values have settings (else the map is one setting).
 */
function walk(schema: z.ZodType, at: string, out: Setting[]): Setting[] {
  const s = bare(schema);
  if (s instanceof z.ZodObject) {
    const shape = s.shape as Record<string, z.ZodType>;
    const declared = declaredSettings(shape);
    for (const [key, child] of Object.entries(shape)) {
      const p = join(at, key);
      if (!declared.includes(key)) out.push({ path: p, kind: "removed", schema: child });
      else if (isGroup(child)) {
        out.push({ path: p, kind: "group", schema: child, default: ownDefault(child) });
        walk(child, p, out);
      } else out.push({ path: p, kind: "leaf", schema: child, default: ownDefault(child) });
    }
  } else if (s instanceof z.ZodArray) {
    walk(s.element as z.ZodType, at, out);
  } else if (s instanceof z.ZodRecord) {
    const keys = bare(s.keyType as z.ZodType);
    const names = keys instanceof z.ZodEnum ? (keys.options as readonly (string | number)[]).map(String) : ["*"];
    for (const name of names) {
      const p = join(at, name);
      const value = s.valueType as z.ZodType;
      out.push({ path: p, kind: isGroup(value) ? "group" : "leaf", schema: value, default: ownDefault(value) });
      if (isGroup(value)) walk(value, p, out);
    }
  }
  return out;
}

/** Whether a setting holds settings of its own (an object, a map with fixed names, a list of objects, ...). */
function isGroup(schema: z.ZodType): boolean {
  const s = bare(schema);
  if (s instanceof z.ZodObject) return true;
  if (s instanceof z.ZodArray) return isGroup(s.element as z.ZodType);
  if (s instanceof z.ZodRecord)
    return bare(s.keyType as z.ZodType) instanceof z.ZodEnum || isGroup(s.valueType as z.ZodType);
  return false;
}

const TOP_SHAPE = stackConfigSchema.shape as Record<string, z.ZodType>;
/** The namespace's keys: the validator's, and the secret ones read apart (unknownKeyProblems declares both). */
const TOP_KEYS = [...declaredSettings(TOP_SHAPE), ...SECRET_KEYS];
/** Every setting below each top-level key, by key. */
const SETTINGS: ReadonlyMap<string, readonly Setting[]> = new Map(
  Object.entries(TOP_SHAPE)
    .filter(([, s]) => isGroup(s))
    .map(([key, s]) => [key, walk(s, "", [])]),
);

/**
 * The values an enumerated setting accepts: an enum's, a literal's or a union of literals' (a list's items' for a
 * list), and for a number the short list its value rules allow when it is one, probed from -1 to 5000: 1, 3, 6 or
 * 512, 2048, 4096 are lists; 1 to 40 and the multiples of 1000 (one step between all values) are ranges. Undefined
 * when the setting is not enumerated, or its values cannot be read (a string checked against a list in a refinement:
 * ml.endpoint.instanceType).
 */
function allowedValues(schema: z.ZodType): readonly (string | number)[] | undefined {
  const s = bare(schema);
  if (s instanceof z.ZodArray) return allowedValues(s.element as z.ZodType);
  if (s instanceof z.ZodEnum) return s.options as readonly (string | number)[];
  if (s instanceof z.ZodLiteral) return [...s.values].filter((v) => typeof v === "string" || typeof v === "number");
  if (s instanceof z.ZodUnion) {
    const options = s.options as readonly z.ZodType[];
    if (!options.every((o) => o instanceof z.ZodLiteral)) return undefined;
    return options.flatMap((o) => allowedValues(o) ?? []);
  }
  if (s instanceof z.ZodNumber) {
    const accepted: number[] = [];
    for (let v = -1; v <= 5000 && accepted.length <= 32; v++) if (schema.safeParse(v).success) accepted.push(v);
    const steps = [...new Set(accepted.slice(1).map((v, i) => v - accepted[i]))];
    const range = steps.length === 1 && (steps[0] === 1 || accepted.length > 2);
    return accepted.length >= 2 && accepted.length <= 32 && !range ? accepted : undefined;
  }
  return undefined;
}

/**
 * Cross-key rules that narrow an enumeration for every stack (not only prod's): `location` must be a region with
 * availability zones (lib/config's superRefine, AVAILABILITY_ZONE_REGIONS).
 */
const NARROWED: Readonly<Record<string, (v: string | number) => boolean>> = {
  location: (v) => AVAILABILITY_ZONE_REGIONS.includes(String(v)),
};

// ---------------------------------------------------------------------------------------------------------------
// The doc
// ---------------------------------------------------------------------------------------------------------------

interface DocRow {
  /**
   * The setting paths the row names, relative to its section's key (`*` for any name): its first cell's, then those
   * of the shapes in the row.
   */
  readonly paths: readonly string[];
  /** How many of `paths` the first cell names (the rest are inside a shape of the row). */
  readonly named: number;
  /** The paths the first cell names, per backticked name in it (what a list of defaults or ranges follows). */
  readonly names: readonly (readonly string[])[];
  /** The first cell's text, as written. */
  readonly keyCell: string;
  /** The description cell: the column headed rules, meaning or value (else the last). */
  readonly description: string;
  /** The cell of the column headed default, in a table that has one. */
  readonly defaultCell?: string;
  /** The cell of the column headed range, in a table that has one. */
  readonly rangeCell?: string;
  readonly line: number;
}

interface DocSection {
  readonly key: string;
  readonly heading: string;
  readonly line: number;
  readonly rows: DocRow[];
  /** Text outside tables and code blocks. */
  prose: string;
}

const ticked = (text: string): string[] => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]);

/** `a.{b,c}.d` → `a.b.d`, `a.c.d`; `<name>` → `*`. */
function expandBraces(token: string): string[] {
  const m = /\{([^{}]*)\}/.exec(token);
  if (!m) return [token.replace(/<[^<>]+>/g, "*")];
  return m[1]
    .split(",")
    .map((alt) => alt.trim())
    .flatMap((alt) => expandBraces(token.slice(0, m.index) + alt + token.slice(m.index + m[0].length)));
}

/**
 * The paths each of a list of backticked names stands for (one list per name), a dotless name after a dotted one
 * being its sibling.
 */
function resolveNames(tokens: readonly string[]): string[][] {
  let parent = "";
  return tokens.map((token) => {
    const full = token.includes(".") ? token : parent === "" ? token : `${parent}.${token}`;
    const cut = full.lastIndexOf(".");
    parent = cut < 0 ? "" : full.slice(0, cut);
    return expandBraces(full);
  });
}

/** The paths a row's first cell names, per backticked name in it. */
const keyCellNames = (cell: string): string[][] => resolveNames(ticked(cell));
/** The paths a row's first cell names. */
const keyCellPaths = (cell: string): string[] => keyCellNames(cell).flat();

/** The member names of a shape written in backticks (`{ emails?: [..], webhook: bool }` → emails, webhook). */
function shapeMembers(token: string): string[] | undefined {
  if (!/^\{.*\}$/.test(token.trim())) return undefined;
  const body = token.trim().slice(1, -1);
  const members: string[] = [];
  let depth = 0;
  let part = "";
  for (const ch of `${body},`) {
    if ("[({".includes(ch)) depth++;
    if ("])}".includes(ch)) depth--;
    if (ch === "," && depth === 0) {
      const m = /^\s*([A-Za-z_]\w*)\??\s*(?::.*)?$/s.exec(part);
      if (m) members.push(m[1]);
      part = "";
    } else part += ch;
  }
  return members;
}

function splitRow(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, "")
    .replace(/\|$/, "")
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

function readDoc(text: string): DocSection[] {
  const sections: DocSection[] = [];
  let current: DocSection | undefined;
  let fence = false;
  let header: string[] | undefined;
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (/^```/.test(line)) {
      fence = !fence;
      return;
    }
    if (fence) return;
    const heading = /^(#{1,3}) (.*)$/.exec(line);
    if (heading) {
      header = undefined;
      const title = heading[2];
      const key = heading[1] === "###" ? ticked(title)[0] : title === "Plain keys" ? "" : undefined;
      current = key === undefined ? undefined : { key, heading: title, line: i + 1, rows: [], prose: "" };
      if (current) sections.push(current);
      return;
    }
    if (!current) return;
    if (!line.startsWith("|")) {
      header = undefined;
      current.prose += `${line}\n`;
      return;
    }
    const cells = splitRow(line);
    if (header === undefined) {
      header = cells;
      return;
    }
    if (cells.every((c) => /^:?-+:?$/.test(c))) return;
    const named = header.findIndex((h) => /^(rules|meaning|value)$/i.test(h));
    const described = named > 0 ? named : cells.length - 1;
    const column = (title: string) => {
      const at = (header ?? []).findIndex((h) => h.toLowerCase() === title);
      return at > 0 ? (cells[at] ?? "") : undefined;
    };
    const names = keyCellNames(cells[0]);
    const paths = names.flat();
    const shapes = ticked(cells.slice(1).join(" | "))
      .map(shapeMembers)
      .filter((m): m is string[] => m !== undefined);
    const inside = shapes.flatMap((members) => paths.flatMap((p) => members.map((m) => `${p}.${m}`)));
    current.rows.push({
      paths: [...paths, ...inside],
      named: paths.length,
      names,
      keyCell: cells[0],
      description: cells[described] ?? "",
      defaultCell: column("default"),
      rangeCell: column("range"),
      line: i + 1,
    });
  });
  return sections;
}

/** Whether a doc path (maybe with `*`) names a code path. */
const names = (docPath: string, codePath: string): boolean => {
  const [d, c] = [docPath.split("."), codePath.split(".")];
  return d.length === c.length && d.every((seg, i) => seg === "*" || seg === c[i]);
};

/** A value in a list: backticked, or a number (1,000 is one thousand; a sentence's full stop ends one). */
const VALUE = "(?:`[^`]+`|(?<![\\w.,])-?\\d{1,3}(?:,\\d{3})+(?!\\d)|(?<![\\w.,])-?\\d+(?:\\.\\d+)?(?!\\w|\\.\\d))";
/** A parenthesis after a value (one level of nesting inside). */
const NOTE = "\\s*\\((?:[^()]|\\([^()]*\\))*\\)";
const SEPARATOR = "\\s*(?:,\\s*or\\b|,\\s*and\\b|,|\\bor\\b|\\band\\b)\\s*";

/** The longest list of values in a description, each maybe followed by a parenthesis, separated by , or and. */
function statedValues(description: string): string[] {
  const run = new RegExp(`${VALUE}(?:${NOTE})?(?:${SEPARATOR}${VALUE}(?:${NOTE})?)*`, "g");
  let best: string[] = [];
  for (const m of description.matchAll(run)) {
    const values = [...m[0].replace(new RegExp(NOTE, "g"), "").matchAll(new RegExp(VALUE, "g"))].map((v) =>
      v[0].replace(/`/g, "").replace(/,(?=\d{3})/g, ""),
    );
    if (values.length > best.length) best = values;
  }
  return best;
}

/** `1–100`, `0–86400`, `1,000–1,000,000` (an en dash or "to" between two numbers). */
const rangesIn = (text: string): [number, number][] =>
  [...text.matchAll(/(-?\d[\d,]*(?:\.\d+)?)\s*(?:–|to)\s*(-?\d[\d,]*(?:\.\d+)?)/g)].map((m) => [
    Number(m[1].replace(/,/g, "")),
    Number(m[2].replace(/,/g, "")),
  ]);

/** A value a default states: a value of a list (`VALUE`), or true, false or none (an empty list). */
const DEFAULT_VALUE = `(?:${VALUE}|\\b(?:true|false|none)\\b)`;
/** A setting and its value in a list of defaults: `name` value. */
const PAIR = `\`[^\`]+\`\\s+${DEFAULT_VALUE}(?:${NOTE})?`;
const PAIR_RUN = new RegExp(`^${PAIR}(?:(?:${SEPARATOR}|\\s*;\\s*)${PAIR})*`);
const VALUE_RUN = new RegExp(`^${DEFAULT_VALUE}(?:${NOTE})?(?:${SEPARATOR}${DEFAULT_VALUE}(?:${NOTE})?)*`);

/**
 * What a phrase of the doc says a default is: the values of the row's settings, in the order of its first cell, or
 * settings (relative to the section's key) with their values.
 */
type Stated =
  | { readonly kind: "values"; readonly values: readonly string[] }
  | { readonly kind: "pairs"; readonly pairs: readonly (readonly [string, string])[] };

/** Whether a place in a text is inside backticks. */
const inTicks = (text: string, at: number): boolean => (text.slice(0, at).match(/`/g) ?? []).length % 2 === 1;

/** A run's values as written (backticks kept: they tell a reference), its parentheses dropped. */
const runValues = (run: string): string[] =>
  [...run.replace(new RegExp(NOTE, "g"), "").matchAll(new RegExp(DEFAULT_VALUE, "g"))].map((m) => m[0]);

/** A run of pairs' settings and values, the names read as a first cell's (sibling rule, braces). */
function runPairs(run: string): [string, string][] {
  const found = [
    ...run.replace(new RegExp(NOTE, "g"), "").matchAll(new RegExp(`\`([^\`]+)\`\\s+(${DEFAULT_VALUE})`, "g")),
  ];
  const paths = resolveNames(found.map((m) => m[1]));
  return found.flatMap((m, i) => paths[i].map((p): [string, string] => [p, m[2]]));
}

/**
 * The defaults a text states: after "default" or "defaults" (maybe then "is" or "to", maybe a colon; not in
 * backticks), a list of pairs or else a list of values; and a value followed by "(default" or "(the default" whose
 * parenthesis states no value of its own (`60` (default), `OCSP` (default: the responder is asked); not `x` (default 5)).
 */
function defaultStatements(text: string): Stated[] {
  const out: Stated[] = [];
  for (const m of text.matchAll(/\bdefaults?\b(?:\s+(?:is|to)\b)?\s*:?\s*/gi)) {
    if (inTicks(text, m.index)) continue;
    const rest = text.slice(m.index + m[0].length);
    const pairs = PAIR_RUN.exec(rest);
    const values = VALUE_RUN.exec(rest);
    if (pairs) out.push({ kind: "pairs", pairs: runPairs(pairs[0]) });
    else if (values) out.push({ kind: "values", values: runValues(values[0]) });
  }
  const suffix = new RegExp(`(${DEFAULT_VALUE})\\s*\\((?:the\\s+)?default\\b(?!\\s*:?\\s*${DEFAULT_VALUE})`, "gi");
  for (const m of text.matchAll(suffix)) if (!inTicks(text, m.index)) out.push({ kind: "values", values: [m[1]] });
  return out;
}

/**
 * A default column's cell: a list of pairs, or one entry per name of the first cell (or one for all) separated by a
 * comma and a space (`10,240` is one number): a value, `—` (no default; `— (required)`: the key must be set), or
 * anything else (none stated: an empty entry here).
 */
function defaultCell(cell: string): Stated {
  const pairs = PAIR_RUN.exec(cell);
  if (pairs && pairs[0].length === cell.length) return { kind: "pairs", pairs: runPairs(cell) };
  const entry = (e: string) =>
    e.startsWith("—") ? e : new RegExp(`^${DEFAULT_VALUE}(?:${NOTE})?$`).test(e) ? runValues(e)[0] : "";
  return { kind: "values", values: cell.split(/,\s+/).map((e) => entry(e.trim())) };
}

/** A default the doc states for a setting (a path relative to its section's key, maybe with `*`). */
interface StatedDefault {
  readonly path: string;
  /** As written: a value, `—...` (none), or a reference (`isReference`). */
  readonly raw: string;
  /** Stated in a list of pairs (a group's default may give it), not for the row's own settings. */
  readonly pair: boolean;
  readonly line: number;
}

/** A row's stated defaults (its default column's and its description's), and lists it cannot attribute. */
function rowDefaults(row: DocRow): { stated: StatedDefault[]; problems: string[] } {
  const stated: StatedDefault[] = [];
  const problems: string[] = [];
  const statements = [
    ...(row.defaultCell === undefined ? [] : [defaultCell(row.defaultCell)]),
    ...defaultStatements(row.description),
  ];
  for (const st of statements) {
    if (st.kind === "pairs") {
      stated.push(...st.pairs.map(([path, raw]) => ({ path, raw, pair: true, line: row.line })));
      continue;
    }
    const { values } = st;
    if (values.length !== 1 && values.length !== row.names.length) {
      problems.push(
        `line ${row.line}: a default of ${values.length} values (${values.join(", ")}) for the ${row.names.length} names of ${row.keyCell}`,
      );
      continue;
    }
    row.names.forEach((paths, i) => {
      const raw = values.length === 1 ? values[0] : values[i];
      if (raw !== "") stated.push(...paths.map((path) => ({ path, raw, pair: false, line: row.line })));
    });
  }
  return { stated, problems };
}

/**
 * The ranges a row states for a setting: in a table with a range column, its entry for the setting's name (one entry
 * per name of the first cell, separated by a comma and a space, or one for all); elsewhere, any in the description.
 */
function statedRanges(row: DocRow, setting: string): [number, number][] {
  if (row.rangeCell === undefined) return rangesIn(row.description);
  const entries = row.rangeCell.split(/,\s+/);
  if (entries.length === 1) return rangesIn(entries[0]);
  const at = row.names.findIndex((paths) => paths.some((p) => names(p, setting)));
  return at >= 0 && entries.length === row.names.length ? rangesIn(entries[at]) : [];
}

const DOC = fs.readFileSync(DOC_PATH, "utf8");
const SECTIONS = readDoc(DOC);
const PLAIN = SECTIONS.find((s) => s.key === "");
const STRUCTURED = SECTIONS.filter((s) => s.key !== "");

/** The rows of a key's section (empty without one). */
const rowsOf = (key: string): DocRow[] => STRUCTURED.filter((s) => s.key === key).flatMap((s) => s.rows);

/**
 * The row that documents a setting (a top-level key: its plain-keys row), if any: of the rows naming it, the one whose
 * first cell names it, with the fewest other settings.
 */
function rowOf(key: string, setting: string): DocRow | undefined {
  if (setting === "") return PLAIN?.rows.find((r) => r.paths.includes(key));
  const rank = (r: DocRow) => (r.paths.slice(0, r.named).some((p) => names(p, setting)) ? 0 : 1000) + r.paths.length;
  return rowsOf(key)
    .filter((r) => r.paths.some((p) => names(p, setting)))
    .sort((a, b) => rank(a) - rank(b))[0];
}

// ---------------------------------------------------------------------------------------------------------------

describe("docs/configuration.md names every setting the validator declares, and no other", () => {
  it("reads the validator's settings (the walk finds what the doc must name)", () => {
    // Not vacuous: the walk reaches nested settings, maps with fixed names, lists of items and removed settings.
    const flat = [...SETTINGS].flatMap(([key, list]) => list.map((s) => `${key}.${s.path}:${s.kind}`));
    for (const expected of [
      "sql.autoPauseDelayMinutes:leaf",
      "sql.longTermRetention.weekOfYear:leaf",
      "cosmos.containers.leases.maxThroughput:leaf",
      "subnets.flexFunctions:leaf",
      "ingestion.gateway.merchantCertificateAuthorities.certificate:leaf",
      "operations.routing.p3.emails:leaf",
      "load.cosmos.webhookEvents.modifiedIndexedTerms:leaf",
      "streaming.streamAnalytics.clusterCapacity:removed",
    ])
      assert.ok(flat.includes(expected), `the walk finds ${expected}`);
    assert.ok(flat.length > 200, `${flat.length} settings`);
    // The top-level keys are the ones unknownKeyProblems accepts (lib/config's KEYS has the schema's keys).
    assert.deepEqual(unknownKeyProblems(TOP_KEYS.map((k) => `${PROJECT}:${k}`)), []);
    assert.ok(TOP_KEYS.length > 30, `${TOP_KEYS.length} keys`);
  });

  it("reads the doc (its plain-keys table and one section per structured key)", () => {
    assert.ok(PLAIN && PLAIN.rows.length > 20, "the Plain keys table");
    assert.ok(STRUCTURED.length > 10, `${STRUCTURED.length} sections`);
    // A `###` section that names no key would be skipped, its table with it.
    const unnamed = DOC.split("\n").filter((l) => /^### /.test(l) && ticked(l).length === 0);
    assert.deepEqual(unnamed, [], "every ### heading names its key in backticks");
  });

  it("documents every top-level key, as a plain-keys row or a section", () => {
    const documented = new Set([...(PLAIN?.rows ?? []).flatMap((r) => r.paths), ...STRUCTURED.map((s) => s.key)]);
    const missing = TOP_KEYS.filter((k) => !documented.has(k));
    assert.deepEqual(missing, [], `keys of lib/config that docs/configuration.md does not name: ${missing.join(", ")}`);
  });

  it("documents a structured key in a section of its own, a plain one in the plain-keys table", () => {
    const problems: string[] = [];
    for (const key of TOP_KEYS) {
      const group = SETTINGS.has(key);
      const section = STRUCTURED.some((s) => s.key === key);
      if (group && !section) problems.push(`${key}: has settings of its own, but no "### \`${key}\`" section`);
      if (!group && !section && !rowOf(key, "")) problems.push(`${key}: no row in the Plain keys table`);
    }
    assert.deepEqual(problems, []);
  });

  it('marks "(not declared)" exactly the plain keys Pulumi.yaml does not declare', () => {
    const declared = Object.keys(
      (parseYaml(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { config: Record<string, unknown> })
        .config,
    );
    const problems = (PLAIN?.rows ?? []).flatMap((r) =>
      r.paths
        .filter((k) => declared.includes(k) === r.keyCell.includes("(not declared)"))
        .map((k) => `line ${r.line}: ${k} is ${declared.includes(k) ? "" : "not "}declared in Pulumi.yaml`),
    );
    assert.deepEqual(problems, []);
  });

  it("presents no top-level key the program does not read", () => {
    const problems = [
      ...(PLAIN?.rows ?? []).flatMap((r) => r.paths.map((p) => ({ key: p, where: `Plain keys, line ${r.line}` }))),
      ...STRUCTURED.map((s) => ({ key: s.key, where: `heading "${s.heading}", line ${s.line}` })),
    ].flatMap(({ key, where }) => unknownKeyProblems([`${PROJECT}:${key}`]).map((p) => `${where}: ${p}`));
    assert.deepEqual(problems, []);
  });

  it("names every setting of each structured key in its section", () => {
    const missing: string[] = [];
    for (const [key, settings] of SETTINGS) {
      const sections = STRUCTURED.filter((s) => s.key === key);
      const rowPaths = sections.flatMap((s) => s.rows.flatMap((r) => r.paths));
      // A section without a table (a map such as subnets) names its settings in its text.
      const prosePaths = sections
        .filter((s) => s.rows.length === 0)
        .flatMap((s) => ticked(s.prose).flatMap(expandBraces));
      for (const s of settings.filter((x) => x.kind === "leaf"))
        if (![...rowPaths, ...prosePaths].some((p) => names(p, s.path))) missing.push(`${key}.${s.path}`);
    }
    assert.deepEqual(
      missing,
      [],
      `settings of lib/config that docs/configuration.md does not name:\n${missing.join("\n")}`,
    );
  });

  it("presents as settings only paths the validator declares (a removed one only as refused)", () => {
    const problems: string[] = [];
    for (const section of STRUCTURED) {
      const settings = SETTINGS.get(section.key) ?? [];
      for (const row of section.rows)
        for (const p of row.paths) {
          const found = settings.filter((s) => names(p, s.path));
          if (found.length === 0)
            problems.push(`line ${row.line}: ${section.key}.${p} is not a setting of lib/config (${row.keyCell})`);
          else if (found.every((s) => s.kind === "removed") && !/\brefused\b/.test(row.description))
            problems.push(`line ${row.line}: ${section.key}.${p} is a removed setting: the row must say it is refused`);
        }
    }
    assert.deepEqual(problems, []);
  });
});

describe("docs/configuration.md states the values of each enumerated setting as the validator allows them", () => {
  /** Every enumerated setting, with the values the validator accepts. */
  const enumerated = [
    ...Object.entries(TOP_SHAPE)
      .filter(([, s]) => !isGroup(s))
      .map(([key, s]) => ({ key, setting: "", schema: s })),
    ...[...SETTINGS].flatMap(([key, list]) =>
      list.filter((s) => s.kind === "leaf").map((s) => ({ key, setting: s.path, schema: s.schema })),
    ),
  ].flatMap(({ key, setting, schema }) => {
    const values = allowedValues(schema);
    const narrowed = setting === "" ? NARROWED[key] : undefined;
    return values ? [{ key, setting, values: narrowed ? values.filter(narrowed) : values }] : [];
  });

  it("finds the enumerated settings (SKUs, tiers, regions, modes, sizes)", () => {
    const found = enumerated.map((e) => (e.setting === "" ? e.key : `${e.key}.${e.setting}`));
    for (const expected of [
      "location",
      "keyVaultSku",
      "sql.sku.name",
      "sql.sku.capacity",
      "olap.pool.sku",
      "olap.pauseSchedule.alsoStop",
      "privateDns.mode",
      "streaming.streamAnalytics.streamingUnits",
      "operations.sla.etlWindowMinutes",
      "flowLogs.trafficAnalyticsIntervalMinutes",
    ])
      assert.ok(found.includes(expected), `${expected} is enumerated (found ${found.join(", ")})`);
  });

  it("lists exactly the values the validator accepts, in the setting's row", () => {
    const problems: string[] = [];
    for (const { key, setting, values } of enumerated) {
      const name = setting === "" ? key : `${key}.${setting}`;
      const row = rowOf(key, setting);
      if (!row) {
        problems.push(`${name}: no row`);
        continue;
      }
      const stated = statedValues(row.description);
      const allowed = values.map(String);
      const extra = stated.filter((v) => !allowed.includes(v));
      const absent = allowed.filter((v) => !stated.includes(v));
      if (extra.length > 0 || absent.length > 0)
        problems.push(
          `${name} (line ${row.line}): the doc lists ${stated.join(", ") || "nothing"}; the validator allows ${allowed.join(", ")}`,
        );
    }
    assert.deepEqual(problems, []);
  });

  it("gives the subnet roles in carving order, with their default prefixes", () => {
    const section = STRUCTURED.find((s) => s.key === "subnets");
    assert.ok(section, "a subnets section");
    const carved = [...section.prose.matchAll(/`(\w+)` \/(\d+)/g)].map((m) => `${m[1]} /${m[2]}`);
    assert.deepEqual(
      carved,
      SUBNET_ROLES.map((r) => `${r} /${SUBNET_PREFIX[r]}`),
    );
  });
});

describe("docs/configuration.md states the range of each bounded number the stacks set", () => {
  /**
   * Ranges a rule elsewhere in the validator narrows for every stack (the doc states the narrower one): the scorer's
   * SQL trigger cannot wake a Flex app from zero (lib/config/services.ts), so at least one instance.
   */
  const NARROWED_RANGES: Readonly<Record<string, readonly [number, number]>> = {
    "ingestion.functions.fraudScoring.alwaysReady": [1, 50],
  };
  // Every key's, the cost and capacity assumptions' (`usage`, `load`) sanity bounds included: their tables state
  // them in a range column.
  const bounded = [...SETTINGS].flatMap(([key, list]) =>
    list.flatMap((s) => {
      const b = bare(s.schema);
      if (s.kind !== "leaf" || !(b instanceof z.ZodNumber) || allowedValues(s.schema)) return [];
      const [lo, hi] = [b.minValue, b.maxValue];
      if (
        lo === null ||
        hi === null ||
        Math.abs(lo) >= Number.MAX_SAFE_INTEGER ||
        Math.abs(hi) >= Number.MAX_SAFE_INTEGER
      )
        return [];
      return [{ key, setting: s.path, range: NARROWED_RANGES[`${key}.${s.path}`] ?? ([lo, hi] as const) }];
    }),
  );

  it("narrows only what the validator narrows for every stack (the scorer's always-ready floor)", () => {
    // dev's stack config with no always-ready scorer instance: refused by the rule NARROWED_RANGES stands for.
    const sc = loadStackConfig(ROOT, "dev");
    const raw = readRaw((key) => sc.config[`${PROJECT}:${key}`]);
    (raw.ingestion as { functions: { fraudScoring: { alwaysReady: number } } }).functions.fraudScoring.alwaysReady = 0;
    assert.throws(() => parseConfig(raw, "dev"), /functions\.fraudScoring\.alwaysReady/);
    assert.deepEqual(Object.keys(NARROWED_RANGES), ["ingestion.functions.fraudScoring.alwaysReady"]);
  });

  it("finds the bounded numbers (sizes, windows, percentages, the usage and load assumptions)", () => {
    assert.ok(bounded.length >= 100, `${bounded.length} bounded numbers`);
    for (const name of [
      "olap.workloadIsolation.etl.queryTimeoutSeconds",
      "streaming.eventHubs.retentionHours",
      "usage.cosmosAutoscaleBilledFraction",
      "usage.functionGbSecondsPerMonth",
      "load.sqlTriggerLockSecondsPerBatch",
      "load.cosmos.webhookEvents.itemKb",
    ])
      assert.ok(
        bounded.some((b) => `${b.key}.${b.setting}` === name),
        name,
      );
  });

  it("states each one's range in its row, as the validator bounds it", () => {
    const problems = bounded.flatMap(({ key, setting, range: [lo, hi] }) => {
      const row = rowOf(key, setting);
      const stated = row ? statedRanges(row, setting) : [];
      return stated.some(([a, b]) => a === lo && b === hi)
        ? []
        : [
            `${key}.${setting} (line ${row?.line ?? "none"}): the doc states ${stated.map(([a, b]) => `${a}–${b}`).join(", ") || "no range"}; the validator allows ${lo}–${hi}`,
          ];
    });
    assert.deepEqual(problems, []);
  });
});

describe("docs/configuration.md states each default as the validator applies it", () => {
  const show = (v: unknown) => JSON.stringify(v);
  const scalar = (v: unknown) => ["string", "number", "boolean"].includes(typeof v);
  /** Whether a value as the doc writes it is this one: `1,000` is 1000, none is an empty list. */
  const sameValue = (raw: string, value: unknown): boolean => {
    const text = raw.replace(/`/g, "");
    if (typeof value === "number") return /^-?[\d,]+(?:\.\d+)?$/.test(text) && Number(text.replace(/,/g, "")) === value;
    if (typeof value === "string" || typeof value === "boolean") return text === String(value);
    return Array.isArray(value) && value.length === 0 && (text === "none" || text === "[]");
  };
  /** A default the program derives, not the validator: another key's value, a name with a placeholder. */
  const isReference = (raw: string) =>
    /^`[^`]+`$/.test(raw) && (TOP_KEYS.includes(raw.slice(1, -1)) || raw.includes("<"));
  const valueAt = (obj: unknown, rel: string): unknown =>
    rel === ""
      ? obj
      : rel
          .split(".")
          .reduce<unknown>(
            (o, k) => (o && typeof o === "object" && !Array.isArray(o) ? (o as Record<string, unknown>)[k] : undefined),
            obj,
          );

  /** Pulumi.yaml's declared keys, with the default the CLI passes for a key the stack does not set. */
  const DECLARED = (
    parseYaml(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
      config: Record<string, { default?: unknown }>;
    }
  ).config;
  const yamlDefault = (key: string): Default | undefined =>
    DECLARED[key] !== undefined && "default" in DECLARED[key] ? { value: DECLARED[key].default } : undefined;

  /**
   * The groups of a structured key whose default gives values to settings a stack leaves out with them: the key's own
   * (absent), the key as Pulumi.yaml's default reaches parseConfig (the CLI passes it), and each group's.
   */
  const groupDefaults = (key: string): { path: string; default: Default; what: string }[] => {
    const schema = TOP_SHAPE[key];
    const own = ownDefault(schema);
    const yaml = yamlDefault(key);
    const parsed = yaml ? schema.safeParse(yaml.value) : undefined;
    return [
      ...(own ? [{ path: "", default: own, what: `${key} left out` }] : []),
      ...(parsed?.success
        ? [{ path: "", default: { value: parsed.data }, what: `${key} as Pulumi.yaml's default` }]
        : []),
      ...(SETTINGS.get(key) ?? [])
        .filter((s) => s.kind === "group" && s.default !== undefined)
        .map((s) => ({ path: s.path, default: s.default as Default, what: `${key}.${s.path} left out` })),
    ];
  };
  const relative = (group: string, setting: string) =>
    group === "" ? setting : setting.startsWith(`${group}.`) ? setting.slice(group.length + 1) : undefined;

  /** Every default the doc states in a key's section: its rows' and its prose's lists of pairs. */
  const statedIn = (key: string): { stated: StatedDefault[]; problems: string[] } => {
    const sections = STRUCTURED.filter((s) => s.key === key);
    const rows = sections.flatMap((s) => s.rows.map(rowDefaults));
    const prose = sections.flatMap((s) =>
      defaultStatements(s.prose).flatMap((st) =>
        st.kind === "pairs" ? st.pairs.map(([p, raw]) => ({ path: p, raw, pair: true, line: s.line })) : [],
      ),
    );
    return { stated: [...rows.flatMap((r) => r.stated), ...prose], problems: rows.flatMap((r) => r.problems) };
  };
  const STATED = new Map([...SETTINGS.keys()].map((key) => [key, statedIn(key)]));

  it("reads the validator's defaults (a setting's own, a group's, Pulumi.yaml's)", () => {
    const own = (name: string) => {
      const [key, ...rest] = name.split(".");
      return SETTINGS.get(key)?.find((s) => s.path === rest.join("."))?.default?.value;
    };
    assert.equal(own("sql.ledger"), false);
    assert.equal(own("operations.sla.olapWindowMinutes"), 15);
    assert.equal(own("load.cosmos.sessions.properties"), 20);
    assert.deepEqual(own("olap.pauseSchedule.alsoStop"), []);
    assert.equal(own("ingestion.functions.sku"), undefined);
    const ingestion = groupDefaults("ingestion").find((g) => g.path === "");
    assert.equal(valueAt(ingestion?.default.value, "functions.sku"), "FC1");
    const sessions = groupDefaults("load").find((g) => g.path === "cosmos.sessions");
    assert.equal(valueAt(sessions?.default.value, "properties"), 10);
    assert.ok(groupDefaults("streaming").some((g) => g.what === "streaming as Pulumi.yaml's default"));
    assert.equal(yamlDefault("workload")?.value, "pay");
  });

  it("reads the doc's defaults (default columns, phrases, lists of pairs in rows and prose)", () => {
    const count = (key: string) => STATED.get(key)?.stated.length ?? 0;
    assert.ok(count("usage") >= 30, `usage: ${count("usage")}`);
    assert.ok(count("operations") >= 15, `operations: ${count("operations")}`);
    for (const key of ["ml", "ingestion", "etl", "streaming"])
      assert.ok(
        STATED.get(key)?.stated.some((d) => d.pair),
        `${key}: a list of pairs`,
      );
    assert.ok((PLAIN?.rows ?? []).filter((r) => r.defaultCell !== undefined).length > 20, "a default column");
  });

  it("states each plain key's default as Pulumi.yaml and lib/config give it, and marks the required ones", () => {
    const problems: string[] = [];
    for (const row of PLAIN?.rows ?? []) {
      const st = defaultCell(row.defaultCell ?? "");
      const values = st.kind === "values" ? st.values : [];
      row.names.flat().forEach((key, i) => {
        const raw = values.length === 1 ? values[0] : (values[i] ?? "");
        const schema = TOP_SHAPE[key] as z.ZodType | undefined;
        const own = schema ? ownDefault(schema) : undefined;
        const yaml = yamlDefault(key);
        if (own && yaml && !isDeepStrictEqual(own.value, yaml.value))
          problems.push(`${key}: Pulumi.yaml's default ${show(yaml.value)} is not lib/config's ${show(own.value)}`);
        const given = own ?? yaml;
        const required = !given && schema !== undefined && !schema.safeParse(undefined).success;
        const at = `${key} (line ${row.line})`;
        if (raw === "") problems.push(`${at}: no default stated (${given ? show(given.value) : "—"})`);
        else if (raw.startsWith("—")) {
          if (given) problems.push(`${at}: the doc states none; the default is ${show(given.value)}`);
          else if (/required/.test(raw) !== required)
            problems.push(
              `${at}: the doc says it is ${required ? "not " : ""}required; it is${required ? "" : " not"}`,
            );
        } else if (!given) problems.push(`${at}: the doc states default ${raw}; there is none`);
        else if (!sameValue(raw, given.value))
          problems.push(`${at}: the doc states default ${raw}; the default is ${show(given.value)}`);
      });
    }
    assert.deepEqual(problems, []);
  });

  it("states a setting's default only as the validator's own (a derived one only where it has none)", () => {
    const problems: string[] = [];
    for (const [key, settings] of SETTINGS) {
      const { stated, problems: unread } = STATED.get(key) ?? { stated: [], problems: [] };
      problems.push(...unread);
      for (const d of stated.filter((x) => !x.pair))
        for (const s of settings.filter((x) => x.kind !== "removed" && names(d.path, x.path))) {
          const at = `line ${d.line}: ${key}.${s.path}`;
          const own = s.default === undefined ? "none" : show(s.default.value);
          if (d.raw.startsWith("—")) {
            if (s.default) problems.push(`${at}: the doc states no default; the validator's is ${own}`);
          } else if (isReference(d.raw)) {
            if (s.default) problems.push(`${at}: the doc derives its default (${d.raw}); the validator's is ${own}`);
          } else if (!s.default || !sameValue(d.raw, s.default.value))
            problems.push(`${at}: the doc states default ${d.raw}; the validator's is ${own}`);
        }
    }
    assert.deepEqual(problems, []);
  });

  it("states the default of every setting whose own default is a single value", () => {
    const missing: string[] = [];
    for (const [key, settings] of SETTINGS) {
      const stated = STATED.get(key)?.stated ?? [];
      for (const s of settings)
        if (s.kind === "leaf" && s.default && scalar(s.default.value))
          if (!stated.some((d) => names(d.path, s.path) && sameValue(d.raw, s.default?.value)))
            missing.push(
              `${key}.${s.path} (line ${rowOf(key, s.path)?.line ?? "none"}): default ${show(s.default.value)}`,
            );
    }
    assert.deepEqual(missing, [], `settings whose default the doc does not state:\n${missing.join("\n")}`);
  });

  it("lists the values a group's default gives its settings, and only values some default gives", () => {
    const problems: string[] = [];
    for (const [key, settings] of SETTINGS) {
      const stated = (STATED.get(key)?.stated ?? []).filter((d) => d.pair);
      const groups = groupDefaults(key);
      // Each listed value: the setting's own default, or one a group's default gives it.
      for (const d of stated) {
        const found = settings.filter((s) => s.kind === "leaf" && names(d.path, s.path));
        if (found.length === 0) problems.push(`line ${d.line}: ${key}.${d.path} is not a setting`);
        for (const s of found) {
          const given = [
            ...(s.default ? [s.default.value] : []),
            ...groups.flatMap((g) => {
              const rel = relative(g.path, s.path);
              return rel === undefined ? [] : [valueAt(g.default.value, rel)];
            }),
          ].filter((v) => v !== undefined);
          if (!given.some((v) => sameValue(d.raw, v)))
            problems.push(
              `line ${d.line}: ${key}.${s.path} ${d.raw}: no default gives it (${given.map(show).join(", ") || "none"})`,
            );
        }
      }
      // Each value a group's default gives beyond the setting's own default: listed (once for all groups giving it).
      const unlisted = new Map<string, string[]>();
      for (const g of groups)
        for (const s of settings.filter((x) => x.kind === "leaf")) {
          const rel = relative(g.path, s.path);
          const v = rel === undefined ? undefined : valueAt(g.default.value, rel);
          if (v === undefined || (s.default && isDeepStrictEqual(v, s.default.value))) continue;
          if (!stated.some((d) => names(d.path, s.path) && sameValue(d.raw, v))) {
            const what = `${key}.${s.path} ${show(v)}`;
            unlisted.set(what, [...(unlisted.get(what) ?? []), g.what]);
          }
        }
      for (const [what, by] of unlisted)
        problems.push(`${what} (given by ${by.join("; ")}): no list of defaults states it`);
    }
    assert.deepEqual(problems, []);
  });
});

describe("the rules this file reads the doc by", () => {
  it("expand the doc's path forms", () => {
    assert.deepEqual(keyCellPaths("`routing.p1`/`p2`/`p3`"), ["routing.p1", "routing.p2", "routing.p3"]);
    assert.deepEqual(keyCellPaths("`workloadIsolation.{etl,bi}.minPercent`, `capPercent`"), [
      "workloadIsolation.etl.minPercent",
      "workloadIsolation.bi.minPercent",
      "workloadIsolation.etl.capPercent",
      "workloadIsolation.bi.capPercent",
    ]);
    assert.deepEqual(keyCellPaths("`minCapacity`, `autoPauseDelayMinutes`"), ["minCapacity", "autoPauseDelayMinutes"]);
    assert.deepEqual(keyCellPaths("`containers.<name>.ttlSeconds` (x)"), ["containers.*.ttlSeconds"]);
    assert.deepEqual(shapeMembers("{ emails?: [..], webhook: bool }"), ["emails", "webhook"]);
    assert.equal(shapeMembers("P12W"), undefined);
  });

  it("read a stated list of values", () => {
    assert.deepEqual(statedValues("`Standby` or `Geo` (default `Geo`, Azure's; prod `Standby`), only with `x: true`"), [
      "Standby",
      "Geo",
    ]);
    assert.deepEqual(statedValues("window (at least 5 minutes: 5, 10, 15 or 2880; default 5)"), [
      "5",
      "10",
      "15",
      "2880",
    ]);
    assert.deepEqual(statedValues("3072 (Azure SQL TDE accepts only 2048 or 3072)"), ["3072"]);
    assert.deepEqual(statedValues("at most 2,147,483,647 seconds"), ["2147483647"]);
  });

  it("read a stated default", () => {
    const values = (...v: string[]): Stated => ({ kind: "values", values: v });
    assert.deepEqual(defaultStatements("boolean (default false; prod true): x"), [values("false")]);
    assert.deepEqual(defaultStatements("1, 5, 15, 30 or 60 (default 5)"), [values("5")]);
    assert.deepEqual(defaultStatements("(default 1,000, the extension's, in dev)"), [values("1,000")]);
    assert.deepEqual(defaultStatements("in minutes; defaults 5, 15, 5 and 15"), [values("5", "15", "5", "15")]);
    assert.deepEqual(defaultStatements("`60` (default), `10` (accelerated)"), [values("`60`")]);
    assert.deepEqual(defaultStatements("`OCSP` (default: its responder is asked) or `None`"), [values("`OCSP`")]);
    assert.deepEqual(defaultStatements("`stack` (the default) or `central`"), [values("`stack`")]);
    assert.deepEqual(defaultStatements("`emails` default `alertEmails`; `webhook`"), [values("`alertEmails`")]);
    assert.deepEqual(
      defaultStatements("contact (`default`, from `emails`); no default outbound access; by default the first day"),
      [],
    );
    assert.deepEqual(
      defaultStatements(
        "dev's sizes, its default: `gateway.minInstances` 0, `maxInstances` 2, `functions.sku` `FC1` (x), and",
      ),
      [
        {
          kind: "pairs",
          pairs: [
            ["gateway.minInstances", "0"],
            ["gateway.maxInstances", "2"],
            ["functions.sku", "`FC1`"],
          ],
        },
      ],
    );
    assert.deepEqual(defaultStatements("its defaults: `routing.{p1,p2}.webhook` true"), [
      {
        kind: "pairs",
        pairs: [
          ["routing.p1.webhook", "true"],
          ["routing.p2.webhook", "true"],
        ],
      },
    ]);
    assert.deepEqual(defaultCell("10,240, 51,200, 50"), values("10,240", "51,200", "50"));
    assert.deepEqual(defaultCell("— (required)"), values("— (required)"));
    assert.deepEqual(defaultCell("see capacity"), values(""));
    assert.deepEqual(defaultCell("`a.b` 1, `c` 2"), {
      kind: "pairs",
      pairs: [
        ["a.b", "1"],
        ["a.c", "2"],
      ],
    });
  });

  it("read a range column", () => {
    const row = (rangeCell: string): DocRow => ({
      paths: ["a", "b"],
      named: 2,
      names: [["a"], ["b"]],
      keyCell: "`a`, `b`",
      description: "0–5",
      rangeCell,
      line: 0,
    });
    assert.deepEqual(statedRanges(row("0–10,000,000, 0.1–1,024"), "b"), [[0.1, 1024]]);
    assert.deepEqual(statedRanges(row("1–2"), "b"), [[1, 2]]);
    assert.deepEqual(statedRanges(row("1–2, 3–4, 5–6"), "a"), []);
    assert.deepEqual(statedRanges({ ...row(""), rangeCell: undefined }, "a"), [[0, 5]]);
  });
});
