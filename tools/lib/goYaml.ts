/**
 * YAML read as the Pulumi CLI reads `Pulumi.yaml` and `Pulumi.<stack>.yaml`: with go-yaml v3 (pulumi
 * sdk/go/common/encoding/marshal.go imports gopkg.in/yaml.v3; workspace/loaders.go unmarshals the files into `any`).
 * go-yaml v3 is neither YAML 1.1 nor 1.2: its plain scalars resolve by its own rules (go-yaml resolve.go `resolve`),
 * which the JavaScript `yaml` package's schemas do not reproduce:
 * - booleans are only true/True/TRUE/false/False/FALSE, nulls ""/~/null/Null/NULL (as YAML 1.2; `yes`, `on` and
 *   `07:00` stay strings, where YAML 1.1 reads a boolean and a base-60 number);
 * - a number loses its underscores, then reads as Go's `strconv.ParseInt(plain, 0, 64)`: `0x…`, `0o…`, `0b…` and a
 *   leading zero (`0365` is octal, 245: "Octals from the 1.1 spec, spelled as 0777, are still decoded by default in
 *   v3"), then `ParseUint`, then a float matching `yamlStyleFloat` (`09` is the float 9); an integer beyond 2^53 is a
 *   bigint, exact as Go's int64 or uint64 (a number would round it);
 * - `<<` merges a map, or a list of maps, into the map it is in (`mergeTag`); keys the map sets itself win, then the
 *   earlier maps of the list;
 * - an unquoted date (`2027-01-31`) is a timestamp, which the CLI keeps as its Go time, not as the text: refused
 *   here with a request to quote it, rather than guessing the text the program would receive.
 * Quoted and block scalars are strings, as everywhere. tests/stackConfig.spec.ts holds each case.
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument, Scalar, type Document, type Node } from "yaml";

export class GoYamlError extends Error {
  override name = "GoYamlError";
}

const BOOLEANS: Readonly<Record<string, boolean>> = {
  true: true,
  True: true,
  TRUE: true,
  false: false,
  False: false,
  FALSE: false,
};
const NULLS = new Set(["", "~", "null", "Null", "NULL"]);
const SPECIAL_FLOATS: Readonly<Record<string, number>> = {
  ".nan": NaN,
  ".NaN": NaN,
  ".NAN": NaN,
  ".inf": Infinity,
  ".Inf": Infinity,
  ".INF": Infinity,
  "+.inf": Infinity,
  "+.Inf": Infinity,
  "+.INF": Infinity,
  "-.inf": -Infinity,
  "-.Inf": -Infinity,
  "-.INF": -Infinity,
};
/** go-yaml resolve.go `yamlStyleFloat`. */
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
/** go-yaml resolve.go `allowedTimestampFormats`, loosely: four digits and a dash open every one of them. */
const TIMESTAMP = /^\d{4}-\d{1,2}-\d{1,2}([Tt ]\d{1,2}:\d{1,2}:\d{1,2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * Whether go-yaml reads the text as a timestamp: one of its formats (`TIMESTAMP`) that Go's `time.Parse` accepts, so a
 * real calendar date and time (`2027-13-45` fails to parse there and stays a string).
 */
function isGoTimestamp(text: string): boolean {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt ](\d{1,2}):(\d{1,2}):(\d{1,2}))?/.exec(text);
  if (!m || !TIMESTAMP.test(text)) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return false;
  return m[4] === undefined || (Number(m[4]) <= 23 && Number(m[5]) <= 59 && Number(m[6]) <= 59);
}

/** Go's `strconv.ParseInt(s, 0, 64)` (signed) or `ParseUint(s, 0, 64)`: the value, or undefined when it fails. */
function parseGoInt(s: string, signed: boolean): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m || (!signed && m[1] !== "")) return undefined;
  const body = m[2];
  const digits = /^0[0-7]+$/.test(body) ? `0o${body.slice(1)}` : body.toLowerCase();
  const n = (m[1] === "-" ? -1n : 1n) * BigInt(digits);
  if (signed ? n < -(2n ** 63n) || n >= 2n ** 63n : n >= 2n ** 64n) return undefined;
  return n;
}

/** A plain (unquoted, untagged) scalar as go-yaml v3 resolves it into `any`. */
export function resolvePlain(text: string): unknown {
  if (text in BOOLEANS) return BOOLEANS[text];
  if (NULLS.has(text)) return null;
  if (text in SPECIAL_FLOATS) return SPECIAL_FLOATS[text];
  const first = text[0];
  if (first === ".") {
    return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(text) ? Number(text) : text;
  }
  if (first === "+" || first === "-" || (first >= "0" && first <= "9")) {
    if (isGoTimestamp(text)) {
      throw new GoYamlError(
        `\`${text}\` is a timestamp to the Pulumi CLI (go-yaml), which keeps its time, not this text: quote it ('${text}')`,
      );
    }
    const plain = text.replace(/_/g, "");
    const n = parseGoInt(plain, true) ?? parseGoInt(plain, false);
    // Past 2^53 a JavaScript number would round it: kept exact as a bigint, as go-yaml keeps an int or a uint64.
    if (n !== undefined)
      return n >= -BigInt(Number.MAX_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
    if (YAML_STYLE_FLOAT.test(plain)) return Number(plain);
  }
  return text;
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && key.type === Scalar.PLAIN && !key.tag && key.value === "<<";
}

function toValue(node: unknown, doc: Document): unknown {
  if (isAlias(node)) return toValue(node.resolve(doc), doc);
  if (isScalar(node)) {
    const text = String(node.value ?? "");
    if (node.tag && node.tag !== "tag:yaml.org,2002:str" && node.tag !== "!!str")
      throw new GoYamlError(
        `the explicit tag ${node.tag} on \`${text}\` is not read offline: remove it or quote the value`,
      );
    return node.type === Scalar.PLAIN && !node.tag ? resolvePlain(text) : text;
  }
  if (isSeq(node)) return node.items.map((item) => toValue(item, doc));
  if (isMap(node)) {
    const own: [string, unknown][] = [];
    const merged: Record<string, unknown>[] = [];
    for (const pair of node.items) {
      if (isMergeKey(pair.key)) {
        // A list of maps only as a list written there: an alias to a list is refused, as go-yaml's `merge` refuses
        // an alias to anything but a map (decode.go `failWantMap`).
        const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
        for (const source of sources) {
          const map = toValue(source, doc);
          if (!map || typeof map !== "object" || Array.isArray(map))
            throw new GoYamlError("map merge requires map or sequence of maps as the value");
          merged.push(map as Record<string, unknown>);
        }
        continue;
      }
      const key = toValue(pair.key, doc);
      own.push([typeof key === "string" ? key : JSON.stringify(key), toValue(pair.value, doc)]);
    }
    const out: Record<string, unknown> = {};
    // The earlier maps of a merge list win over the later ones, and the map's own keys over all of them.
    for (const map of merged.reverse()) Object.assign(out, map);
    for (const [k, v] of own) out[k] = v;
    return out;
  }
  return node === null || node === undefined ? null : node;
}

/** Parses a YAML document as the Pulumi CLI does (see above); throws on a syntax error or a duplicate key. */
export function parseGoYaml(text: string): unknown {
  const doc = parseDocument(text, { schema: "failsafe", uniqueKeys: true, merge: false });
  if (doc.errors.length > 0) throw doc.errors[0];
  return toValue(doc.contents as Node | null, doc);
}
