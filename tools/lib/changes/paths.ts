/** Inputs compared by property path: the value at a path, the paths `ignoreChanges` names left out, stable JSON. */

/** The value at a dotted path (`sku.name`); `[*]` and indexes are not followed (compared as a whole above them). */
export function valueAt(o: unknown, path: string): unknown {
  let v = o;
  for (const k of path.replace(/\[[^\]]*\].*$/, "").split(".")) {
    if (!v || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** The segments of a Pulumi property path (`a.b[0].c`, `tags["cost-center"]`, `rules[*].name`). */
export function pathSegments(path: string): string[] {
  return [...path.matchAll(/\[("(?:[^"\\]|\\.)*"|\d+|\*)\]|([^.[\]]+)/g)].map((m) =>
    m[2] !== undefined ? m[2] : m[1].startsWith('"') ? (JSON.parse(m[1]) as string) : m[1],
  );
}

/** Removes what `segs` names below `node` (`*`: every element or key). */
function deletePath(node: unknown, segs: readonly string[]): void {
  if (node === null || typeof node !== "object" || segs.length === 0) return;
  const [head, ...rest] = segs;
  for (const k of head === "*" ? Object.keys(node) : [head]) {
    if (rest.length > 0) deletePath((node as Record<string, unknown>)[k], rest);
    else if (Array.isArray(node)) node[Number(k)] = undefined;
    else delete (node as Record<string, unknown>)[k];
  }
}

/** `inputs` without the paths `ignoreChanges` names (Pulumi keeps the old value there: no update, no replacement). */
export function withoutPaths(
  inputs: Record<string, unknown>,
  paths: readonly string[] | undefined,
): Record<string, unknown> {
  if (!paths?.length) return inputs;
  const copy = structuredClone(inputs);
  for (const p of paths) deletePath(copy, pathSegments(p));
  return copy;
}

/** Stable JSON (keys sorted) for comparing two values. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v) ?? "undefined";
}
