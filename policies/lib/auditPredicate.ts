/**
 * Azure SQL audit predicates (`predicateExpression`: the WHERE clause of CREATE SERVER AUDIT, whose grammar is
 * `[NOT] field { = | <> | != | LIKE } 'string'` factors joined by AND or OR, without parentheses:
 * learn.microsoft.com/sql/t-sql/statements/create-server-audit-transact-sql), read into factors, so that a rule can
 * tell whether a database audit keeps exactly what a server audit leaves out.
 */

/** One comparison, normalised: `<>` and `!=` are a negated `=`, `NOT LIKE` a negated `LIKE`. */
export interface PredicateFactor {
  readonly field: string;
  readonly op: "=" | "LIKE";
  readonly value: string;
  readonly negated: boolean;
}

export interface ParsedPredicate {
  /** How the factors are joined (undefined for a single factor). */
  readonly connective?: "AND" | "OR";
  readonly factors: readonly PredicateFactor[];
}

const FACTOR = /^(NOT\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*(=|<>|!=|NOT\s+LIKE|LIKE)\s*'((?:[^']|'')*)'$/i;

/** Splits on AND/OR outside quoted strings; undefined when both connectives appear (precedence would matter). */
function split(text: string): { connective?: "AND" | "OR"; parts: string[] } | undefined {
  const parts: string[] = [];
  const connectives = new Set<"AND" | "OR">();
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") quoted = !quoted;
    if (!quoted) {
      const m = /^\s+(AND|OR)\s+/i.exec(text.slice(i));
      if (m && /\s/.test(c)) {
        connectives.add(m[1].toUpperCase() as "AND" | "OR");
        parts.push(current);
        current = "";
        i += m[0].length - 1;
        continue;
      }
    }
    current += c;
  }
  parts.push(current);
  if (connectives.size > 1) return undefined;
  return { connective: [...connectives][0], parts: parts.map((p) => p.trim()) };
}

/** The predicate's factors, or undefined when it is not a flat AND or OR of simple comparisons. */
export function parsePredicate(text: string): ParsedPredicate | undefined {
  const s = split(text.trim());
  if (!s) return undefined;
  const factors: PredicateFactor[] = [];
  for (const part of s.parts) {
    const m = FACTOR.exec(part);
    if (!m) return undefined;
    const op = m[3].toUpperCase().replace(/\s+/g, " ");
    const opNegated = op === "<>" || op === "!=" || op === "NOT LIKE";
    factors.push({
      field: m[2].toLowerCase(),
      op: op.endsWith("LIKE") ? "LIKE" : "=",
      value: m[4].replace(/''/g, "'"),
      negated: Boolean(m[1]) !== opNegated,
    });
  }
  return { ...(s.connective ? { connective: s.connective } : {}), factors };
}

const key = (f: PredicateFactor) => `${f.field}\u0000${f.op}\u0000${f.value}`;

/**
 * Whether `kept` keeps exactly the records `leftOut` leaves out: `leftOut` is NOT a OR NOT b ... (De Morgan: not
 * (a AND b ...)), and `kept` is a AND b ... over the same comparisons.
 */
export function isComplement(leftOut: ParsedPredicate, kept: ParsedPredicate): boolean {
  if (leftOut.connective === "AND" || kept.connective === "OR") return false;
  if (!leftOut.factors.every((f) => f.negated) || kept.factors.some((f) => f.negated)) return false;
  const a = new Set(leftOut.factors.map(key));
  const b = new Set(kept.factors.map(key));
  return a.size === b.size && [...a].every((k) => b.has(k));
}
