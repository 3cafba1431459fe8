/**
 * The proxy a request goes through, read from the environment as the azure-native provider reads it, so that a
 * runner that reaches Azure only through a proxy gets the program's own ARM reads (components/shared/armRead.ts) and
 * `npm run cost:retail` through it too. Node's fetch ignores `HTTPS_PROXY` by default (newer Node versions read it
 * under `NODE_USE_ENV_PROXY=1`).
 *
 * The provider's ARM client is azcore's default transport (pulumi-azure-native provider/pkg/azure/client_azcore.go sets
 * no transport), whose `Proxy` is Go's `http.ProxyFromEnvironment` (azure-sdk-for-go
 * sdk/azcore/runtime/transport_default_http_client.go), i.e. golang.org/x/net/http/httpproxy. This module ports its
 * rules (proxy.go `FromEnvironment`, `proxyForURL`, `parseProxy`, `useProxy`, `init`; tests/envProxy.spec.ts runs its
 * proxy_test.go tables):
 * - an `https` URL goes through `HTTPS_PROXY` (else `https_proxy`), an `http` one through `HTTP_PROXY` (else
 *   `http_proxy`): never the other's, and not through `ALL_PROXY`;
 * - a proxy without a scheme is `http://`; one that does not parse as a URL is dropped and the request goes direct,
 *   as Go's `init` keeps no proxy when `parseProxy` fails (the two parsers differ on some malformed values: Go's
 *   retry with `http://` before the text can accept what the WHATWG parser refuses);
 * - never for `localhost` or a loopback address, nor for a host `NO_PROXY` (else `no_proxy`) names: `*` for every
 *   host; an IP, an IP with a port, or a CIDR range; a domain (`example.com` is itself and its subdomains,
 *   `.example.com` and `*.example.com` its subdomains only), optionally with a port.
 * Go also refuses `HTTP_PROXY` for an `http` URL in a CGI environment (`REQUEST_METHOD` set); every URL here is
 * `https`, so that rule is not ported.
 */
import { domainToASCII } from "node:url";
import { isIP } from "node:net";
import type { ProxyAgent } from "undici";

/** The proxy variables this module reads (process.env, or a test's). */
export type ProxyEnv = Readonly<Record<string, string | undefined>>;

/** The first of `names` set to a non-empty value (Go's getEnvAny). */
function envAny(env: ProxyEnv, ...names: string[]): string {
  for (const n of names) {
    const value = env[n];
    if (value !== undefined && value !== "") return value;
  }
  return "";
}

/** The proxy's URL as Go parses it: as written when it has a scheme and a host, else with `http://` before it. */
export function parseProxy(proxy: string): string | undefined {
  if (proxy === "") return undefined;
  const withScheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]/.test(proxy);
  return withScheme ? proxy : `http://${proxy}`;
}

/** An IP address's bytes (v4 as 4, v6 as 16), or undefined for anything else. */
function ipBytes(host: string): number[] | undefined {
  const kind = isIP(host);
  if (kind === 4) return host.split(".").map(Number);
  if (kind !== 6) return undefined;
  let text = host;
  let tail: number[] = [];
  const v4 = /:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    tail = v4[1].split(".").map(Number);
    text = `${text.slice(0, v4.index)}:0:0`;
  }
  const [head, rest] = text.split("::") as [string, string | undefined];
  const groups = (part: string | undefined): number[] =>
    part === undefined || part === "" ? [] : part.split(":").map((g) => parseInt(g, 16));
  const left = groups(head);
  const right = groups(rest);
  const all = rest === undefined ? left : [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = all.flatMap((g) => [g >> 8, g & 0xff]);
  if (tail.length > 0) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** Go's net.IP.Equal: v4 equals its v4-in-v6 form. */
function toV6(bytes: readonly number[]): number[] {
  return bytes.length === 16 ? [...bytes] : [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...bytes];
}
function sameIp(a: readonly number[], b: readonly number[]): boolean {
  const x = toV6(a);
  const y = toV6(b);
  return x.every((v, i) => v === y[i]);
}

function isLoopback(bytes: readonly number[]): boolean {
  const v6 = toV6(bytes);
  const mapped = v6.slice(0, 12).every((v, i) => v === (i < 10 ? 0 : 0xff));
  if (mapped) return v6[12] === 127;
  return v6.slice(0, 15).every((v) => v === 0) && v6[15] === 1;
}

interface IpMatcher {
  readonly kind: "ip";
  readonly ip: number[];
  readonly port: string;
}
interface CidrMatcher {
  readonly kind: "cidr";
  readonly net: number[];
  readonly bits: number;
}
interface DomainMatcher {
  readonly kind: "domain";
  readonly host: string;
  readonly port: string;
  readonly matchHost: boolean;
}
type Matcher = IpMatcher | CidrMatcher | DomainMatcher | { readonly kind: "all" };

/** Go's net.SplitHostPort, for what NO_PROXY entries and addresses need: `host:port` or `[v6]:port`. */
function splitHostPort(value: string): { host: string; port: string } | undefined {
  const bracketed = /^\[([^\]]*)\]:([^:]*)$/.exec(value);
  if (bracketed) return { host: bracketed[1], port: bracketed[2] };
  const colon = value.lastIndexOf(":");
  if (colon < 0 || value.includes("[") || value.includes("]")) return undefined;
  const host = value.slice(0, colon);
  if (host.includes(":")) return undefined; // "too many colons"
  return { host, port: value.slice(colon + 1) };
}

/** Go's net.ParseCIDR, for an entry of NO_PROXY. */
function parseCidr(value: string): CidrMatcher | undefined {
  const slash = value.indexOf("/");
  if (slash < 0) return undefined;
  const ip = ipBytes(value.slice(0, slash));
  const bitsText = value.slice(slash + 1);
  if (ip === undefined || !/^\d+$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  if (bits > ip.length * 8) return undefined;
  return { kind: "cidr", net: ip, bits };
}

function inCidr(m: CidrMatcher, ip: readonly number[]): boolean {
  // Go's IPNet.Contains: a v4 network holds v4 (and v4-in-v6) addresses, a v6 one v6 addresses.
  let address = [...ip];
  if (m.net.length === 4) {
    const v6 = toV6(ip);
    if (!v6.slice(0, 12).every((v, i) => v === (i < 10 ? 0 : 0xff))) return false;
    address = v6.slice(12);
  } else if (address.length === 4) address = toV6(address);
  for (let bit = 0; bit < m.bits; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if ((address[byte] & mask) !== (m.net[byte] & mask)) return false;
  }
  return true;
}

/** A host name in ASCII (Go's idnaASCII: as is when ASCII, else its punycode, else as is). */
function ascii(host: string): string {
  if ([...host].every((c) => c.charCodeAt(0) < 0x80)) return host;
  const converted = domainToASCII(host);
  return converted === "" ? host : converted;
}

/** NO_PROXY's entries as Go's `config.init` reads them. */
export function noProxyMatchers(noProxy: string): Matcher[] {
  const matchers: Matcher[] = [];
  for (const raw of noProxy.split(",")) {
    const p = raw.trim().toLowerCase();
    if (p === "") continue;
    if (p === "*") return [{ kind: "all" }];
    const cidr = parseCidr(p);
    if (cidr) {
      matchers.push(cidr);
      continue;
    }
    let host = p;
    let port = "";
    const split = splitHostPort(p);
    if (split) {
      if (split.host === "") continue;
      host = split.host.startsWith("[") && split.host.endsWith("]") ? split.host.slice(1, -1) : split.host;
      port = split.port;
    }
    const ip = ipBytes(host);
    if (ip) {
      matchers.push({ kind: "ip", ip, port });
      continue;
    }
    if (host === "") continue;
    if (host.startsWith("*.")) host = host.slice(1);
    const matchHost = !host.startsWith(".");
    if (matchHost) host = `.${host}`;
    matchers.push({ kind: "domain", host: ascii(host), port, matchHost });
  }
  return matchers;
}

/** Whether a request to `host:port` goes through the proxy (Go's `useProxy`). */
export function useProxy(host: string, port: string, noProxy: string): boolean {
  if (host === "localhost") return false;
  const ip = ipBytes(host);
  if (ip && isLoopback(ip)) return false;
  const name = host.trim().toLowerCase();
  for (const m of noProxyMatchers(noProxy)) {
    if (m.kind === "all") return false;
    if (m.kind === "cidr" && ip && inCidr(m, ip)) return false;
    if (m.kind === "ip" && ip && sameIp(m.ip, ip) && (m.port === "" || m.port === port)) return false;
    if (m.kind === "domain" && !ip && (name.endsWith(m.host) || (m.matchHost && name === m.host.slice(1))))
      if (m.port === "" || m.port === port) return false;
  }
  return true;
}

/** Whether a proxy URL parses, its user and password included (an invalid escape there fails Go's parse too). */
function parses(proxy: string): boolean {
  try {
    const u = new URL(proxy);
    decodeURIComponent(u.username);
    decodeURIComponent(u.password);
    return u.host !== "";
  } catch {
    return false;
  }
}

/** The proxy `url` goes through (its URL as the environment names it), or undefined to connect directly. */
export function proxyForUrl(url: string, env: ProxyEnv = process.env): string | undefined {
  const target = new URL(url);
  const scheme = target.protocol.slice(0, -1);
  const proxy =
    scheme === "https"
      ? parseProxy(envAny(env, "HTTPS_PROXY", "https_proxy"))
      : scheme === "http"
        ? parseProxy(envAny(env, "HTTP_PROXY", "http_proxy"))
        : undefined;
  if (proxy === undefined || !parses(proxy)) return undefined;
  const host = ascii(target.hostname.replace(/^\[(.*)\]$/, "$1"));
  const port = target.port !== "" ? target.port : scheme === "https" ? "443" : "80";
  return useProxy(host, port, envAny(env, "NO_PROXY", "no_proxy")) ? proxy : undefined;
}

/** What the requests here pass to fetch. */
export interface EnvFetchInit {
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
}

/** The part of a fetch Response the callers read. */
export interface EnvFetchResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
  json(): Promise<unknown>;
}

/** A proxy the environment names that envFetch cannot use: a setting to fix, not a failure to try again. */
export class UnusableProxyError extends Error {}

/** One agent per proxy URL for the process (its connections reused). */
const agents = new Map<string, ProxyAgent>();

/**
 * `fetch(url, init)` through the proxy the environment names for `url` (proxyForUrl), else Node's own fetch. The
 * proxy is reached with undici's ProxyAgent (a CONNECT tunnel for `https`; loaded only when a proxy is set), with the
 * proxy URL's user and password as Basic `Proxy-Authorization` as Go sends them. A proxy of a scheme other than
 * `http` or `https` (Go also takes `socks5`) is refused with the variable named.
 */
export async function envFetch(
  url: string,
  init: EnvFetchInit = {},
  env: ProxyEnv = process.env,
): Promise<EnvFetchResponse> {
  const proxy = proxyForUrl(url, env);
  if (proxy === undefined) return fetch(url, init);
  const parsed = new URL(proxy);
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    const variable = new URL(url).protocol === "https:" ? "HTTPS_PROXY" : "HTTP_PROXY";
    throw new UnusableProxyError(
      `${variable} names a ${parsed.protocol.slice(0, -1)} proxy (${parsed.host}): this program's own requests go through an http:// or https:// proxy only (the provider's own go through it); set NO_PROXY to include ${new URL(url).hostname} if the host is reachable directly.`,
    );
  }
  const undici = require("undici") as typeof import("undici");
  let agent = agents.get(proxy);
  if (agent === undefined) {
    const user = decodeURIComponent(parsed.username);
    const password = decodeURIComponent(parsed.password);
    const hasUser = parsed.username !== "" || parsed.password !== "";
    parsed.username = "";
    parsed.password = "";
    agent = new undici.ProxyAgent({
      uri: parsed.href,
      ...(hasUser ? { token: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` } : {}),
    });
    agents.set(proxy, agent);
  }
  return undici.fetch(url, { ...init, dispatcher: agent });
}
