/**
 * Which azure-native resource types take each security switch as a top-level input (their `<Class>Args` interface in
 * the installed SDK's `.d.ts`): the baseline rules (policies/rules/baseline.ts) judge a type that leaves its switch
 * unset by this list, since Azure's default is the open one (public network access enabled, local keys on, the
 * service's oldest TLS). The pack never reads node_modules at run time: `npm run policy:sdk-switches` writes the list
 * to policies/lib/sdkSwitches.ts and tests/policies/baseline.spec.ts fails when it is stale (an SDK upgrade).
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The switches, each with the input names that carry it. */
export const SWITCH_INPUTS = {
  publicNetworkAccess: ["publicNetworkAccess"],
  localAuth: ["disableLocalAuth"],
  /** Every top-level input of the local-authentication switches the baseline rule reads (which types it runs on). */
  localAuthAny: [
    "disableLocalAuth",
    "disableAadAuth",
    "disableAccessKeyAuthentication",
    "accessKeysAuthentication",
    "disableLocalAccounts",
    "allowedAuthenticationModes",
  ],
  minimumTls: ["minimumTlsVersion", "minimalTlsVersion", "minTlsVersion", "minimumTlsVersionAllowed"],
  plaintextPort: ["enableNonSslPort"],
} as const;

/**
 * Switches one level down (`<parent>.<switch>`), where a type's input keeps them in an object of its own: Cognitive
 * Services', IoT Hub's, Recovery Services' `properties`, PostgreSQL's `network`, its `authConfig`.
 */
export const NESTED_SWITCH_INPUTS = {
  publicNetworkAccessInProperties: ["properties", "publicNetworkAccess"],
  publicNetworkAccessInNetwork: ["network", "publicNetworkAccess"],
  disableLocalAuthInProperties: ["properties", "disableLocalAuth"],
  passwordAuthInAuthConfig: ["authConfig", "passwordAuth"],
} as const;
export type NestedSwitchName = keyof typeof NESTED_SWITCH_INPUTS;
export type SwitchName = keyof typeof SWITCH_INPUTS;
export type SdkSwitches = Record<SwitchName | NestedSwitchName, string[]>;

/** The input interfaces of the SDK's default-version modules (types/input.d.ts), by `<module>.<Interface>`. */
function inputInterfaces(sdkRoot: string): Map<string, string> {
  const text = fs.readFileSync(path.join(sdkRoot, "types", "input.d.ts"), "utf8");
  const found = new Map<string, string>();
  const modules = [...text.matchAll(/^export declare namespace (\w+) \{$/gm)];
  modules.forEach((m, i) => {
    const body = text.slice(m.index, modules[i + 1]?.index ?? text.length);
    for (const itf of body.matchAll(/^ {4}interface (\w+) \{\n([\s\S]*?)^ {4}\}$/gm))
      found.set(`${m[1]}.${itf[1]}`, itf[2]);
  });
  return found;
}

/** The body of a class's `<Class>Args` interface in its `.d.ts`, or undefined when it has none. */
function argsBody(dts: string, cls: string): string | undefined {
  const start = dts.indexOf(`export interface ${cls}Args {`);
  return start < 0 ? undefined : dts.slice(start, dts.indexOf("\n}", start));
}

/** Whether an Args interface body declares `input` at its top level (optional or required). */
export function declaresInput(body: string, input: string): boolean {
  return new RegExp(`^    ${input}\\??:`, "m").test(body);
}

/**
 * The top-level inputs a default-version type token's class declares (`azure-native:network:IpGroup` is
 * `network/ipGroup.d.ts`'s `IpGroupArgs`), or undefined when the SDK has no such class.
 */
export function sdkInputsOf(sdkRoot: string, token: string): string[] | undefined {
  const [, module, cls] = token.split(":");
  if (!module || !cls || module.includes("/")) return undefined;
  const dir = path.join(sdkRoot, module);
  let file = path.join(dir, `${cls[0].toLowerCase()}${cls.slice(1)}.d.ts`);
  // Acronym classes are not named by lower-casing the first letter (`ASCDataConnector` is ascdataConnector.d.ts):
  // the class whose registered token is this one.
  if (!fs.existsSync(file)) {
    if (!fs.existsSync(dir)) return undefined;
    const js = fs
      .readdirSync(dir)
      .find(
        (f) =>
          f.endsWith(".js") && fs.readFileSync(path.join(dir, f), "utf8").includes(`static __pulumiType = '${token}'`),
      );
    if (!js) return undefined;
    file = path.join(dir, js.replace(/\.js$/, ".d.ts"));
  }
  const body = argsBody(fs.readFileSync(file, "utf8"), cls);
  return body === undefined ? undefined : [...body.matchAll(/^ {4}(\w+)\??:/gm)].map((m) => m[1]);
}

/** The type tokens of the default-version classes whose Args interface declares each switch, sorted. */
export function readSdkSwitches(sdkRoot: string): SdkSwitches {
  const names = [...Object.keys(SWITCH_INPUTS), ...Object.keys(NESTED_SWITCH_INPUTS)];
  const found = Object.fromEntries(names.map((k) => [k, [] as string[]])) as SdkSwitches;
  const interfaces = inputInterfaces(sdkRoot);
  for (const module of fs.readdirSync(sdkRoot, { withFileTypes: true })) {
    if (!module.isDirectory() || module.name === "types" || module.name === "node_modules") continue;
    const dir = path.join(sdkRoot, module.name);
    for (const file of fs.readdirSync(dir)) {
      if (!file.endsWith(".d.ts") || /^(get|list)[A-Z]/.test(file) || file === "index.d.ts") continue;
      const dts = fs.readFileSync(path.join(dir, file), "utf8");
      const cls = /export declare class (\w+) extends pulumi\.CustomResource/.exec(dts)?.[1];
      if (!cls) continue;
      const body = argsBody(dts, cls);
      if (body === undefined) continue;
      const js = path.join(dir, file.replace(/\.d\.ts$/, ".js"));
      const token = fs.existsSync(js)
        ? /static __pulumiType = '([^']+)'/.exec(fs.readFileSync(js, "utf8"))?.[1]
        : undefined;
      if (!token) continue;
      for (const [name, inputs] of Object.entries(SWITCH_INPUTS) as [SwitchName, readonly string[]][]) {
        if (inputs.some((i) => declaresInput(body, i))) found[name].push(token);
      }
      for (const [name, [parent, input]] of Object.entries(NESTED_SWITCH_INPUTS) as [
        NestedSwitchName,
        readonly [string, string],
      ][]) {
        // `properties?:` or a required `properties:`, whose input type may be a union: any member with the switch.
        const line = new RegExp(`^    ${parent}\\??: pulumi\\.Input<(.*)>;$`, "m").exec(body)?.[1] ?? "";
        const members = [...line.matchAll(/inputs\.(\w+)\.(\w+)/g)].map((m) => interfaces.get(`${m[1]}.${m[2]}`));
        if (members.some((n) => n !== undefined && new RegExp(`^ {8}${input}\\??:`, "m").test(n)))
          found[name].push(token);
      }
    }
  }
  for (const list of Object.values(found)) list.sort();
  return found;
}

/** policies/lib/sdkSwitches.ts for `switches`. */
export function renderSdkSwitches(switches: SdkSwitches, sdkVersion: string): string {
  const list = (name: SwitchName | NestedSwitchName) => switches[name].map((t) => `    "${t}",`).join("\n");
  return [
    `// Generated by \`npm run policy:sdk-switches\` from @pulumi/azure-native ${sdkVersion}; do not edit by hand.`,
    "// The azure-native types (default version) whose inputs carry each switch at the top level: tools/lib/sdkSwitches.ts.",
    "export const SDK_SWITCHES = {",
    // One line where it fits Prettier's 120 columns, as Prettier would print it.
    ...(
      [...Object.keys(SWITCH_INPUTS), ...Object.keys(NESTED_SWITCH_INPUTS)] as (SwitchName | NestedSwitchName)[]
    ).flatMap((name) => {
      const line = `  ${name}: [${switches[name].map((t) => `"${t}"`).join(", ")}],`;
      return line.length <= 120 ? [line] : [`  ${name}: [`, list(name), "  ],"];
    }),
    "} as const satisfies Record<string, readonly string[]>;",
    "",
  ].join("\n");
}
