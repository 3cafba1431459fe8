/**
 * `keyVaultSku` on a deployed premium vault (components/platform/keyVaults.ts `vaultSkuConflicts`): Azure is not
 * documented to refuse the move to standard, but the HSM keys made while premium would likely no longer rotate: a
 * warning of a preview of the deployed stack.
 */
import { strict as assert } from "node:assert";
import { vaultSkuConflicts } from "../components/platform/keyVaults";
import { runDeployedElsewise } from "./helpers/deployedElsewise";

describe("keyVaultSku against the deployed vault", () => {
  it("warns of premium to standard only, with the Resource Manager read of a key's type", () => {
    const id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-x";
    const [c] = vaultSkuConflicts({ id, sku: "premium" }, false);
    assert.equal(c.kind, "advised");
    assert.equal(c.key, "keyVaultSku");
    // Neither key list gives a key's type: one key's Resource Manager read does (no private endpoint needed).
    assert.match(
      c.remedy,
      /keep premium while such keys exist\. A key's type: az rest --url "https:\/\/management\.azure\.com\/subscriptions\/s\/resourceGroups\/rg\/providers\/Microsoft\.KeyVault\/vaults\/kv-x\/keys\/<key>\?api-version=2026-02-01" --query properties\.kty/,
    );
    assert.deepEqual(vaultSkuConflicts({ id, sku: "Premium" }, true), []);
    assert.deepEqual(vaultSkuConflicts({ id, sku: "standard" }, false), []);
    assert.deepEqual(vaultSkuConflicts({ id, sku: "standard" }, true), [], "an upgrade is not warned of");
    assert.deepEqual(vaultSkuConflicts({}, false), []);
  });

  it("a preview of dev whose vaults are deployed premium warns for each platform vault and goes on", async function () {
    this.timeout(300_000);
    const { error, warned } = await runDeployedElsewise("dev", "vault-premium");
    assert.equal(error, undefined);
    const vaults = warned.filter((w) =>
      /^the key vault '[^']+': keyVaultSku: the deployed value is premium, the stack config asks for standard\. /.test(
        w,
      ),
    );
    // The three vaults holding the program's keys (main, Cosmos DB's, the ML keys'), each once; not the ML
    // workspace's own, where the program makes no key.
    assert.deepEqual(vaults.map((w) => /^the key vault '([a-z]+)-/.exec(w)?.[1]).sort(), ["kv", "kvc", "kvm"]);
    // A vault that cannot be read (the preview identity without Microsoft.KeyVault/vaults/read): warned, not refused.
    const unreadable = await runDeployedElsewise("dev", "vault-unreadable");
    assert.equal(unreadable.error, undefined);
    const notCompared = unreadable.warned.filter((w) => w.includes("keyVaultSku"));
    assert.deepEqual(
      notCompared.map((w) => /^the key vault '([a-z]+)-/.exec(w)?.[1]).sort(),
      ["kv", "kvc", "kvm"],
      notCompared.join("\n"),
    );
    for (const w of notCompared)
      assert.match(
        w,
        /^the key vault '[^']+': keyVaultSku asks for standard, and the deployed vault could not be read to compare \(.*AuthorizationFailed.*\): a premium vault holding HSM keys should stay premium\.$/,
      );
    const same = await runDeployedElsewise("dev", "lake-same");
    assert.deepEqual(
      same.warned.filter((w) => w.includes("keyVaultSku")),
      [],
    );
  });
});
