/**
 * KQL text helpers for rules that read log alert queries: comments stripped, and whether a query keeps rows of one
 * resource id by a positive filter.
 */
/** A KQL query without its `//` comments (outside string literals). */
export function stripKqlComments(query: string): string {
  let out = "";
  let quote: string | undefined;
  for (let i = 0; i < query.length; i++) {
    const c = query[i];
    if (quote) {
      out += c;
      if (c === "\\") out += query[++i] ?? "";
      else if (c === quote) quote = undefined;
    } else if (c === "/" && query[i + 1] === "/") {
      while (i < query.length && query[i] !== "\n") i++;
      out += "\n";
    } else {
      if (c === '"' || c === "'") quote = c;
      out += c;
    }
  }
  return out;
}

/**
 * True when a KQL query keeps rows of `id` by a positive filter on it: the id as a whole quoted literal after `==`
 * or `=~`, or inside an `in (...)`/`in~ (...)` list; not after `!=`, `!~`, `!in`, nor inside `not(...)`, nor in a
 * comment, nor in any other position (a `has` would take children too). Case-insensitive.
 */
export function kqlFiltersOn(query: string, id: string): boolean {
  const text = stripKqlComments(query).toLowerCase();
  const target = id.toLowerCase();
  for (const quoted of [`"${target}"`, `'${target}'`]) {
    for (let at = text.indexOf(quoted); at >= 0; at = text.indexOf(quoted, at + 1)) {
      const before = text.slice(0, at).trimEnd();
      if (insideNot(before)) continue;
      if (before.endsWith("==") || (before.endsWith("=~") && !before.endsWith("!=~"))) return true;
      if (before.endsWith("(") || before.endsWith(",")) {
        const open = before.lastIndexOf("(");
        if (open >= 0 && /(^|[^!\w])in~?$/.test(before.slice(0, open).trimEnd())) return true;
      }
    }
  }
  return false;
}

/** Whether the end of `before` lies inside a `not( … )` call (parentheses opened and not yet closed). */
function insideNot(before: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (let i = before.length - 1; i >= 0; i--) {
    const c = before[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ")") depth++;
    else if (c === "(") {
      if (depth > 0) depth--;
      else if (/(^|[^\w])not\s*$/.test(before.slice(0, i))) return true;
    }
  }
  return false;
}
