import { SECRET_SIG, SECRET_SIG_VALUE, UNKNOWN } from "../../tools/lib/engine";

/**
 * An object with what a protobuf Struct round trip treats specially: integer-like and mixed-case keys (sorted
 * order), -0 and huge numbers, nested empties, a secret envelope, the unknown sentinel and an object with an
 * inherited member (for...in lists it). `nan` adds a NaN, which a Struct Value keeps but JSON cannot.
 */
export function structSample(opts: { readonly nan?: boolean } = {}): Record<string, unknown> {
  const inherited = Object.assign(Object.create({ fromProto: "x" }) as Record<string, unknown>, { own: 1 });
  return {
    zeta: [3, -0, 1.5e300, ...(opts.nan ? [NaN] : []), "s", null, true, [[], {}], { b: 1, a: { d: [], c: "" } }],
    alpha: { [SECRET_SIG]: SECRET_SIG_VALUE, value: "plain" },
    10: "ten",
    2: "two",
    "b-c": UNKNOWN,
    B: false,
    inherited,
  };
}
