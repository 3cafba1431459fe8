/**
 * Documentation placeholders left in the stack's contact addresses and public host name: names under a domain that
 * no one can register. RFC 2606 reserves the top-level names `test`, `example`, `invalid` and `localhost` and the
 * second-level `example.com`, `example.net` and `example.org` for documentation and tests
 * (https://www.rfc-editor.org/rfc/rfc2606, sections 2 and 3; RFC 6761 section 6 adds how resolvers and registries
 * treat them). Both stack files ship with such names (`payments.example.com`) for the team to replace: an alert sent
 * to `data-platform-oncall@payments.example.com` reaches nobody, and a gateway listening for
 * `api.payments.example.com` answers a name no client resolves to it and no public authority certifies.
 *
 * A preview (the offline one, a pull request's) says so in one warning; prod's `pulumi up` (the program run that
 * changes Azure, not its preview; `destroy` and `refresh` with `--run-program` run it so too) refuses them before any
 * resource registers, one line per key, since prod's alerts and security contacts are its incident response (PCI DSS
 * v4.0.1 10.7.2, 12.10.1). A dev `up` warns only. In deploy.yml the approval preview shows the warning; an approved
 * `up` then stops at the config before changing anything, and the ETL triggers and stream job its earlier steps
 * stopped are started again by the steps that run whatever `up`'s outcome.
 * Pure: loadConfig passes what it read and whether the run is a preview.
 */
import { PROJECT } from "./common";

/** The reserved names (RFC 2606): a name is a placeholder when it is one of them or under one. */
export const RESERVED_DOMAINS = [
  "example",
  "test",
  "invalid",
  "localhost",
  "example.com",
  "example.net",
  "example.org",
];

/** The reserved name `host` is or lies under (lower-cased, a trailing dot ignored), or undefined. */
export function reservedDomain(host: string): string | undefined {
  const name = host.toLowerCase().replace(/\.$/, "");
  return RESERVED_DOMAINS.find((d) => name === d || name.endsWith(`.${d}`));
}

/** The settings a placeholder is looked for in: each receives mail or is a public name. */
export interface PlaceholderSettings {
  readonly alertEmails: readonly string[];
  readonly operations?: {
    readonly routing?: Partial<Record<"p1" | "p2" | "p3", { readonly emails?: readonly string[] }>>;
    readonly securityContactEmails?: readonly string[];
  };
  readonly ingestion?: { readonly apiHostName?: string };
}

/** A placeholder found: the top-level key, the path under it, the `--path` form, the value, the reserved name. */
export interface Placeholder {
  readonly key: string;
  readonly path: readonly (string | number)[];
  /** `pulumi config set --path` form, e.g. `alertEmails[0]`, `ingestion.apiHostName`. */
  readonly setPath: string;
  readonly value: string;
  readonly domain: string;
  readonly what: "mail" | "host";
}

const setPathOf = (key: string, path: readonly (string | number)[]) =>
  path.reduce<string>((s, p) => (typeof p === "number" ? `${s}[${p}]` : `${s}.${p}`), key);

/**
 * Every placeholder in `cfg`, in the order the stack file has them. Not the incident webhook: a secret no stack file
 * ships (the offline preview stands `https://secret.invalid/…` in for a value it cannot decrypt).
 */
export function findPlaceholders(cfg: PlaceholderSettings): Placeholder[] {
  const found: Placeholder[] = [];
  const mail = (key: string, path: readonly (string | number)[], address: string) => {
    const domain = reservedDomain(address.slice(address.lastIndexOf("@") + 1));
    if (domain) found.push({ key, path, setPath: setPathOf(key, path), value: address, domain, what: "mail" });
  };
  cfg.alertEmails.forEach((a, i) => mail("alertEmails", [i], a));
  for (const p of ["p1", "p2", "p3"] as const)
    (cfg.operations?.routing?.[p]?.emails ?? []).forEach((a, i) => mail("operations", ["routing", p, "emails", i], a));
  (cfg.operations?.securityContactEmails ?? []).forEach((a, i) => mail("operations", ["securityContactEmails", i], a));
  const host = cfg.ingestion?.apiHostName;
  const hostDomain = host === undefined ? undefined : reservedDomain(host);
  if (host !== undefined && hostDomain)
    found.push({
      key: "ingestion",
      path: ["apiHostName"],
      setPath: "ingestion.apiHostName",
      value: host,
      domain: hostDomain,
      what: "host",
    });
  return found;
}

const CONSEQUENCE: Record<Placeholder["what"], string> = {
  mail: "mail sent there reaches nobody",
  host: "no client resolves it to the gateway and no public certificate authority issues its certificate",
};
/** Why prod's `up` refuses what a dev `up` takes: prod's receivers are its incident response. */
const IN_PROD: Record<Placeholder["what"], string> = {
  mail: "prod's alerts and security contacts are its incident response",
  host: "prod's HTTPS listener answers that name only (SNI required), so no merchant reaches the payment API",
};

const keyOf = (p: Placeholder) => `config ${PROJECT}:${p.key}${p.path.length ? ` (${p.path.join(".")})` : ""}`;
const setCommand = (p: Placeholder) =>
  `pulumi config set --path '${p.setPath}' <${p.what === "host" ? "host name" : "address"}>`;

/**
 * What a run says of the placeholders: prod's `up` (`dryRun` false) refuses each, one line naming the key, the value,
 * why and the command that sets it; any other run (a preview, dev's `up`) warns once, listing them.
 */
export function placeholderVerdict(
  found: readonly Placeholder[],
  run: { readonly prod: boolean; readonly dryRun: boolean },
): { readonly errors: string[]; readonly warnings: string[] } {
  if (found.length === 0) return { errors: [], warnings: [] };
  const got = (p: Placeholder) => JSON.stringify(p.value);
  if (run.prod && !run.dryRun)
    return {
      errors: found.map(
        (p) =>
          `${keyOf(p)}: got ${got(p)}; must not be under ${p.domain}, reserved for documentation (RFC 2606): ${CONSEQUENCE[p.what]}, and ${IN_PROD[p.what]}: set the real one (${setCommand(p)})`,
      ),
      warnings: [],
    };
  const listed = found.map((p) => `${p.setPath} ${got(p)}`).join(", ");
  return {
    errors: [],
    warnings: [
      `placeholders under names reserved for documentation (RFC 2606): ${listed}: ${[...new Set(found.map((p) => CONSEQUENCE[p.what]))].join("; ")}. ${run.prod ? "prod's `pulumi up` refuses them" : "dev's `pulumi up` goes ahead with them"}: set the real ones (pulumi config set --path '<key>' <value>; README.md, "Deploying for real")`,
    ],
  };
}
