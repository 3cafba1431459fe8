/**
 * npm run policy:sdk-switches [-- --check]
 *
 * Writes policies/lib/sdkSwitches.ts: which azure-native types take a public network access, local authentication or
 * minimum TLS switch (read from the installed SDK's type declarations, tools/lib/sdkSwitches.ts). Run it after
 * upgrading `@pulumi/azure-native`; `--check` exits 1 when the committed file is stale.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs, runCli, writeOrCheck } from "./lib/cli";
import { readSdkSwitches, renderSdkSwitches } from "./lib/sdkSwitches";

const ROOT = path.resolve(__dirname, "..");
export const SDK_SWITCHES_FILE = path.join(ROOT, "policies", "lib", "sdkSwitches.ts");

export function currentSdkSwitches(): string {
  const sdk = path.dirname(require.resolve("@pulumi/azure-native/package.json", { paths: [ROOT] }));
  const version = (JSON.parse(fs.readFileSync(path.join(sdk, "package.json"), "utf8")) as { version: string }).version;
  return renderSdkSwitches(readSdkSwitches(sdk), version);
}

const USAGE =
  "usage: npm run policy:sdk-switches               (writes policies/lib/sdkSwitches.ts from the installed azure-native)\n" +
  "       npm run policy:sdk-switches -- --check    (exits 1 when it is stale, writes nothing)";

if (require.main === module)
  runCli(USAGE, async (argv) =>
    writeOrCheck(
      [[SDK_SWITCHES_FILE, currentSdkSwitches()]],
      parseArgs(argv, [], ["check", "verbose"]).flags.has("check"),
      "npm run policy:sdk-switches",
    ),
  );
