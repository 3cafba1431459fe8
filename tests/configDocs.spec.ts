/**
 * docs/configuration.md against the validator (lib/config): every key of the namespace and every setting of the
 * structured keys is documented, the doc presents no setting the validator does not declare, and the allowed values
 * it states for an enumerated setting are the ones the validator accepts. The settings are read from the validator
 * itself (`stackConfigSchema`, and at each place the list its "is not a setting" error offers: `declaredSettings`),
 * never from a list kept here.
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
 * Lists of items are transparent (`gateway.merchantCertificateAuthorities.name`).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
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
        out.push({ path: p, kind: "group", schema: child });
        walk(child, p, out);
      } else out.push({ path: p, kind: "leaf", schema: child });
    }
  } else if (s instanceof z.ZodArray) {
    walk(s.element as z.ZodType, at, out);
  } else if (s instanceof z.ZodRecord) {
    const keys = bare(s.keyType as z.ZodType);
    const names = keys instanceof z.ZodEnum ? (keys.options as readonly (string | number)[]).map(String) : ["*"];
    for (const name of names) {
      const p = join(at, name);
      const value = s.valueType as z.ZodType;
      out.push({ path: p, kind: isGroup(value) ? "group" : "leaf", schema: value });
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
  /** The first cell's text, as written. */
  readonly keyCell: string;
  /** The description cell: the column headed rules, meaning or value (else the last). */
  readonly description: string;
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

/** The paths a row's first cell names: its backticked names, a dotless one after a dotted one being its sibling. */
function keyCellPaths(cell: string): string[] {
  const paths: string[] = [];
  let parent = "";
  for (const token of ticked(cell)) {
    const full = token.includes(".") ? token : parent === "" ? token : `${parent}.${token}`;
    const cut = full.lastIndexOf(".");
    parent = cut < 0 ? "" : full.slice(0, cut);
    paths.push(...expandBraces(full));
  }
  return paths;
}

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
    const paths = keyCellPaths(cells[0]);
    const shapes = ticked(cells.slice(1).join(" | "))
      .map(shapeMembers)
      .filter((m): m is string[] => m !== undefined);
    const inside = shapes.flatMap((members) => paths.flatMap((p) => members.map((m) => `${p}.${m}`)));
    current.rows.push({
      paths: [...paths, ...inside],
      named: paths.length,
      keyCell: cells[0],
      description: cells[described] ?? "",
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
  /** `1–100`, `0–86400`, `1,000–1,000,000` (an en dash or "to" between two numbers). */
  const rangesIn = (text: string): [number, number][] =>
    [...text.matchAll(/(-?\d[\d,]*(?:\.\d+)?)\s*(?:–|to)\s*(-?\d[\d,]*(?:\.\d+)?)/g)].map((m) => [
      Number(m[1].replace(/,/g, "")),
      Number(m[2].replace(/,/g, "")),
    ]);
  // The cost and capacity assumptions (`usage`, `load`) carry sanity bounds only, which the doc does not list.
  const bounded = [...SETTINGS]
    .filter(([key]) => key !== "usage" && key !== "load")
    .flatMap(([key, list]) =>
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

  it("finds the bounded numbers (sizes, windows, percentages)", () => {
    assert.ok(bounded.length >= 40, `${bounded.length} bounded numbers`);
    for (const name of ["olap.workloadIsolation.etl.queryTimeoutSeconds", "streaming.eventHubs.retentionHours"])
      assert.ok(
        bounded.some((b) => `${b.key}.${b.setting}` === name),
        name,
      );
  });

  it("states each one's range in its row, as the validator bounds it", () => {
    const problems = bounded.flatMap(({ key, setting, range: [lo, hi] }) => {
      const row = rowOf(key, setting);
      const stated = rangesIn(row?.description ?? "");
      return stated.some(([a, b]) => a === lo && b === hi)
        ? []
        : [
            `${key}.${setting} (line ${row?.line ?? "none"}): the doc states ${stated.map(([a, b]) => `${a}–${b}`).join(", ") || "no range"}; the validator allows ${lo}–${hi}`,
          ];
    });
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
});
