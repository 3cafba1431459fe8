/**
 * IPv4 CIDR arithmetic (pure): parsing, containment, overlap and deterministic subnet carving.
 */

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  readonly network: number;
  readonly prefix: number;
}

const CIDR_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses `a.b.c.d/n`; returns undefined for anything that is not a canonical IPv4 CIDR (host bits must be 0). */
export function parseCidr(text: string): Cidr | undefined {
  const m = CIDR_RE.exec(text.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const address = ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
  const network = (address & mask(prefix)) >>> 0;
  if (network !== address) return undefined;
  return { network, prefix };
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function formatCidr(c: Cidr): string {
  const n = c.network;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${c.prefix}`;
}

/** True when `inner` lies entirely inside `outer`. */
export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && (inner.network & mask(outer.prefix)) >>> 0 === outer.network;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return contains(a, b) || contains(b, a);
}

/** Private (RFC 1918) ranges: a VNet address space must be inside one of them. */
export const RFC1918 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map((c) => parseCidr(c) as Cidr);

export function isPrivate(c: Cidr): boolean {
  return RFC1918.some((r) => contains(r, c));
}

/** The pairs of names whose ranges overlap. */
export function findOverlaps(ranges: Readonly<Record<string, Cidr>>): [string, string][] {
  const names = Object.keys(ranges).sort();
  const pairs: [string, string][] = [];
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      if (overlaps(ranges[names[i]], ranges[names[j]])) pairs.push([names[i], names[j]]);
    }
  }
  return pairs;
}

/**
 * Carves subnets of the requested prefix lengths out of `space`, in the order given, each aligned to its own size
 * (largest-first packing is the caller's choice). Deterministic: the same requests give the same ranges, so adding a
 * request at the end never moves an existing subnet. Throws when the space is exhausted.
 */
export function carve(space: Cidr, requests: readonly { name: string; prefix: number }[]): Record<string, Cidr> {
  const out: Record<string, Cidr> = {};
  let cursor = space.network;
  const end = space.network + size(space);
  for (const { name, prefix } of requests) {
    if (prefix < space.prefix || prefix > 29) {
      throw new Error(
        `subnet '${name}': /${prefix} does not fit in ${formatCidr(space)} (allowed /${space.prefix}–/29)`,
      );
    }
    const blockSize = 2 ** (32 - prefix);
    const aligned = Math.ceil(cursor / blockSize) * blockSize;
    if (aligned + blockSize > end) {
      throw new Error(`address space ${formatCidr(space)} is exhausted before subnet '${name}' (/${prefix})`);
    }
    out[name] = { network: aligned >>> 0, prefix };
    cursor = aligned + blockSize;
  }
  return out;
}

/** The `n`-th address of a range as dotted text (Azure reserves .0–.3; the first usable host is n = 4). */
export function nthAddress(c: Cidr, n: number): string {
  if (n < 0 || n >= size(c)) throw new Error(`address #${n} is outside ${formatCidr(c)}`);
  const a = c.network + n;
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}
