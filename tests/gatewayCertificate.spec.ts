/**
 * `ingestion.tlsCertificateName` against a deployed API gateway (components/ingestion/gateway.ts
 * `certificateConflicts`): a renamed certificate must be in the vault before the gateway's update names it.
 */
import { strict as assert } from "node:assert";
import { certificateConflicts, servesCertificate, vaultOf } from "../components/ingestion/gateway";
import { refusalOf, runDeployedElsewise } from "./helpers/deployedElsewise";
import { byName, invokesOf, previewOf } from "./helpers/stacks";

describe("the API gateway's certificate against the vault, once the gateway is deployed", () => {
  it("refuses a certificate name the vault has no secret of, with the import command", () => {
    assert.deepEqual(certificateConflicts({ secretFound: true, vaultName: "kv-x" }, "agw-new"), []);
    const [c] = certificateConflicts({ secretFound: false, vaultName: "kv-x" }, "agw-new");
    assert.equal(c.kind, "refused");
    assert.equal(c.key, "ingestion.tlsCertificateName");
    assert.equal(c.deployed, "no secret 'agw-new' in the vault 'kv-x'");
    assert.match(
      c.remedy,
      /az keyvault certificate import --vault-name kv-x -n agw-new -f <certificate\.pfx> --password <its password> \(if it was deleted, soft delete keeps it for 90 days, and purge protection keeps it from being purged: az keyvault certificate recover --vault-name kv-x -n agw-new\); then deploy\./,
    );
  });

  it("reads a vault's group and name from its id, and refuses anything else", () => {
    assert.deepEqual(
      vaultOf("/subscriptions/s/resourceGroups/rg-sec/providers/Microsoft.KeyVault/vaults/kv-pay-prod-weu-1a2b"),
      { resourceGroupName: "rg-sec", vaultName: "kv-pay-prod-weu-1a2b" },
    );
    assert.throws(
      () => vaultOf("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st"),
      /not a Key Vault's resource id/,
    );
  });

  it("the program reads the gateway, and only a deployed gateway's secret (none in a first preview)", async () => {
    const { run, previewRun } = await previewOf("prod");
    const gateway = byName(run.resources, "ingestion-agw");
    const reads = run.invokes
      .filter((i) => i.token === "azure-native:network:getApplicationGateway")
      .map((i) => i.inputs);
    assert.deepEqual(reads, [
      {
        resourceGroupName: gateway.inputs.resourceGroupName,
        applicationGatewayName: gateway.inputs.applicationGatewayName,
      },
    ]);
    // The offline deployed view holds no gateway: the secret is not read.
    assert.deepEqual(invokesOf(run, "azure-native:keyvault:getSecret"), []);
    assert.deepEqual(invokesOf(previewRun, "azure-native:network:getApplicationGateway"), []);
  });

  it("a preview of prod whose gateway is deployed refuses a certificate name missing from the vault, before the grant and the gateway", async function () {
    this.timeout(300_000);
    assert.match(
      await refusalOf("prod", "certificate-missing"),
      /the stack config asks for a change Azure refuses on the API gateway 'agw-pay-prod-weu-api' as the program would send it:\n {2}ingestion\.tlsCertificateName: the deployed value is no secret 'agw-payments-api-tls' in the vault 'kv-pay-prod-weu-[^']+', the stack config asks for 'agw-payments-api-tls'\./,
    );
    const present = await runDeployedElsewise("prod", "certificate-present");
    assert.equal(present.error, undefined);
  });

  it("the refusal comes before both the certificate's grant and the gateway register (each waits for the check)", async function () {
    this.timeout(300_000);
    const missing = await runDeployedElsewise("prod", "certificate-missing");
    assert.ok(missing.error);
    const gated = ["ingestion-agw-cert-ra-secrets-user", "ingestion-agw"];
    assert.deepEqual(
      gated.filter((n) => missing.registered.includes(n)),
      [],
    );
    // What does not wait for the check registered (the WAF policy; the API's resource group, long before).
    assert.ok(missing.registered.includes("ingestion-waf"), missing.registered.join(", "));
    const present = await runDeployedElsewise("prod", "certificate-present");
    assert.deepEqual(
      gated.filter((n) => present.registered.includes(n)),
      gated,
    );
  });

  it("reads nothing of the vault when the deployed gateway already serves the name, and warns when the vault cannot be read", async function () {
    this.timeout(300_000);
    const served = await runDeployedElsewise("prod", "certificate-served");
    assert.equal(served.error, undefined);
    // The fixture fails any read of the vault here: a read would show as the check's warning.
    assert.deepEqual(
      served.warned.filter((w) => w.includes("tlsCertificateName")),
      [],
    );
    const unreadable = await runDeployedElsewise("prod", "certificate-unreadable");
    assert.equal(unreadable.error, undefined);
    const about = unreadable.warned.filter((w) => w.includes("tlsCertificateName"));
    assert.equal(about.length, 1, about.join("\n"));
    assert.match(
      about[0],
      /^the API gateway 'agw-pay-prod-weu-api': ingestion\.tlsCertificateName names 'agw-payments-api-tls', which it does not serve yet, and the vault could not be read to check it is there \(.*ForbiddenByRbac.*\): check it is imported before the up/,
    );
  });

  it("knows the secret a gateway serves, by name, whatever its version or vault", () => {
    const serving = (id: string) => ({ sslCertificates: [{ keyVaultSecretId: id }] });
    assert.ok(
      servesCertificate(serving("https://kv.vault.azure.net/secrets/agw-payments-api-tls"), "agw-payments-api-tls"),
    );
    assert.ok(
      servesCertificate(
        serving("https://kv.vault.azure.net/secrets/agw-payments-api-tls/0a1b2c/"),
        "agw-payments-api-tls",
      ),
    );
    assert.ok(
      !servesCertificate(
        serving("https://kv.vault.azure.net/secrets/agw-payments-api-tls-old"),
        "agw-payments-api-tls",
      ),
    );
    assert.ok(!servesCertificate({}, "agw-payments-api-tls"));
    // Key Vault names are case-insensitive.
    assert.ok(
      servesCertificate(serving("https://KV.vault.azure.net/secrets/AGW-Payments-API-TLS"), "agw-payments-api-tls"),
    );
  });
});
