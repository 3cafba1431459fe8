/**
 * Documentation placeholders (RFC 2606 names) in the stacks' receivers and the API's host name: prod's `pulumi up`
 * refuses them before any resource registers, naming each key and the command that sets it; a preview and dev's `up`
 * warn once (lib/config/placeholders.ts).
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  findPlaceholders,
  loadConfig,
  placeholderVerdict,
  PROJECT,
  reservedDomain,
  type PlaceholderSettings,
} from "../lib/config";
import { programOf } from "../tools/lib/deployedView";
import { runProgram } from "../tools/lib/engine";
import { configOf, exclusively } from "./helpers/stacks";

const PROD_ERRORS = [
  `config ${PROJECT}:alertEmails (0): got "data-platform-oncall@payments.example.com"; must not be under example.com, reserved for documentation (RFC 2606): mail sent there reaches nobody, and prod's alerts and security contacts are its incident response: set the real one (pulumi config set --path 'alertEmails[0]' <address>)`,
  `config ${PROJECT}:alertEmails (1): got "security-operations@payments.example.com"; must not be under example.com, reserved for documentation (RFC 2606): mail sent there reaches nobody, and prod's alerts and security contacts are its incident response: set the real one (pulumi config set --path 'alertEmails[1]' <address>)`,
  `config ${PROJECT}:ingestion (apiHostName): got "api.payments.example.com"; must not be under example.com, reserved for documentation (RFC 2606): no client resolves it to the gateway and no public certificate authority issues its certificate, and prod's HTTPS listener answers that name only (SNI required), so no merchant reaches the payment API: set the real one (pulumi config set --path 'ingestion.apiHostName' <host name>)`,
];

/** A committed stack's flat config (as the CLI hands it to the program) with the placeholders' domain replaced. */
function configFor(stack: "dev" | "prod", domain?: string): Record<string, string> {
  const { config } = programOf({ stack });
  if (domain === undefined) return { ...config };
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, v.replaceAll("payments.example.com", domain)]));
}

/** loadConfig as the program calls it, under the mock engine with `config`, as a preview or as `up`'s update. */
function loadAs(stack: "dev" | "prod", config: Record<string, string>, dryRun: boolean) {
  return exclusively(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs as Record<string, unknown> }),
        call: (a) => a.inputs,
      },
      PROJECT,
      stack,
      dryRun,
    );
    pulumi.runtime.setAllConfig(config, []);
    const warned: string[] = [];
    const warn = console.warn;
    console.warn = (...a: unknown[]) => void warned.push(String(a[0]));
    try {
      return { loaded: loadConfig(), warned };
    } catch (error) {
      return { error, warned };
    } finally {
      console.warn = warn;
    }
  });
}

describe("placeholders: names reserved for documentation in receivers and the API's host name", function () {
  this.timeout(60_000);

  it("knows the reserved names and what lies under them, and nothing that merely looks alike", () => {
    for (const [host, domain] of [
      ["payments.example.com", "example.com"],
      ["EXAMPLE.ORG.", "example.org"],
      ["api.example.net", "example.net"],
      ["ci.test", "test"],
      ["x.invalid", "invalid"],
      ["localhost", "localhost"],
      ["merchant.example", "example"],
    ])
      assert.equal(reservedDomain(host), domain, host);
    for (const host of ["example.co", "myexample.com", "examples.com", "payments.eu", "example.com.evil.eu", "testing"])
      assert.equal(reservedDomain(host), undefined, host);
  });

  it("finds the committed stacks' placeholders, and those of every receiver setting, by key path", () => {
    assert.deepEqual(
      findPlaceholders(configOf("prod")).map((p) => [p.setPath, p.value, p.what]),
      [
        ["alertEmails[0]", "data-platform-oncall@payments.example.com", "mail"],
        ["alertEmails[1]", "security-operations@payments.example.com", "mail"],
        ["ingestion.apiHostName", "api.payments.example.com", "host"],
      ],
    );
    assert.deepEqual(
      findPlaceholders(configOf("dev")).map((p) => p.setPath),
      ["alertEmails[0]"],
    );
    const settings: PlaceholderSettings = {
      alertEmails: ["oncall@payments.eu"],
      operations: {
        routing: { p2: { emails: ["ok@payments.eu", "p2@team.test"] } },
        securityContactEmails: ["soc@example.org"],
      },
      ingestion: { apiHostName: "api.payments.eu" },
    };
    assert.deepEqual(
      findPlaceholders(settings).map((p) => [p.key, p.path.join("."), p.setPath, p.domain]),
      [
        ["operations", "routing.p2.emails.1", "operations.routing.p2.emails[1]", "test"],
        ["operations", "securityContactEmails.0", "operations.securityContactEmails[0]", "example.org"],
      ],
    );
    assert.deepEqual(findPlaceholders({ alertEmails: ["oncall@payments.eu"] }), []);
    // Case does not hide one (an e-mail's domain and a host name are case-insensitive).
    assert.deepEqual(
      findPlaceholders({ alertEmails: ["Oncall@Payments.EXAMPLE.com"], ingestion: { apiHostName: "api.test" } }).map(
        (p) => [p.setPath, p.domain],
      ),
      [
        ["alertEmails[0]", "example.com"],
        ["ingestion.apiHostName", "test"],
      ],
    );
  });

  it("prod's up refuses each placeholder on a line of its own; a preview, and dev's up, warn once", () => {
    const found = findPlaceholders(configOf("prod"));
    assert.deepEqual(placeholderVerdict(found, { prod: true, dryRun: false }), { errors: PROD_ERRORS, warnings: [] });
    const preview = placeholderVerdict(found, { prod: true, dryRun: true });
    assert.deepEqual(preview.errors, []);
    assert.deepEqual(preview.warnings, [
      `placeholders under names reserved for documentation (RFC 2606): alertEmails[0] "data-platform-oncall@payments.example.com", alertEmails[1] "security-operations@payments.example.com", ingestion.apiHostName "api.payments.example.com": mail sent there reaches nobody; no client resolves it to the gateway and no public certificate authority issues its certificate. prod's \`pulumi up\` refuses them: set the real ones (pulumi config set --path '<key>' <value>; README.md, "Deploying for real")`,
    ]);
    const devUp = placeholderVerdict(findPlaceholders(configOf("dev")), { prod: false, dryRun: false });
    assert.deepEqual(devUp.errors, []);
    assert.equal(devUp.warnings.length, 1);
    assert.match(
      devUp.warnings[0],
      /alertEmails\[0\] "data-platform-dev@payments\.example\.com": mail sent there reaches nobody\. dev's `pulumi up` goes ahead with them/,
    );
    assert.deepEqual(placeholderVerdict([], { prod: true, dryRun: false }), { errors: [], warnings: [] });
  });

  it("loadConfig: refuses them in prod's up, takes real names there silently, and warns in a preview and dev's up", async () => {
    const up = await loadAs("prod", configFor("prod"), false);
    assert.ok(up.error instanceof Error && up.error.name === "ConfigError", String(up.error));
    assert.deepEqual(up.error.message.split("\n"), PROD_ERRORS);

    const real = await loadAs("prod", configFor("prod", "payments.eu"), false);
    assert.equal(real.error, undefined, String(real.error));
    assert.deepEqual(real.loaded?.alertEmails, ["data-platform-oncall@payments.eu", "security-operations@payments.eu"]);
    assert.deepEqual(
      real.warned.filter((w) => w.includes("RFC 2606")),
      [],
    );

    const preview = await loadAs("prod", configFor("prod"), true);
    assert.equal(preview.error, undefined, String(preview.error));
    assert.deepEqual(
      preview.warned.filter((w) => w.includes("RFC 2606")).map((w) => w.replace(/: alertEmails.*/, "")),
      ["warning: [runtime] placeholders under names reserved for documentation (RFC 2606)"],
    );

    const devUp = await loadAs("dev", configFor("dev"), false);
    assert.equal(devUp.error, undefined, String(devUp.error));
    assert.equal(devUp.warned.filter((w) => w.includes("dev's `pulumi up` goes ahead with them")).length, 1);
  });

  it("the program itself: prod's up stops at the config (index.ts loads it before any resource)", async () => {
    const failure = await exclusively(() =>
      runProgram({
        ...programOf({ stack: "prod" }),
        program: path.resolve(__dirname, "..", "index.ts"),
        dryRun: false,
        quietWarnings: true,
      }).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    assert.ok(failure instanceof Error && failure.name === "ConfigError", String(failure));
    assert.deepEqual(failure.message.split("\n"), PROD_ERRORS);
  });
});
