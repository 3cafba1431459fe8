/**
 * `keyVaultSku` on a deployed premium vault (components/platform/keyVaults.ts `vaultSkuConflicts`): Azure is not
 * documented to refuse the move to standard, but the HSM keys made while premium would likely no longer rotate: a
 * warning of a preview of the deployed stack.
 */
import { strict as assert } from "node:assert";
import { vaultSkuConflicts } from "../components/platform/keyVaults";
import { runDeployedElsewise } from "./helpers/deployedElsewise";

describe("keyVaultSku against the deployed vault", () => {
  it("warns of premium to standard only, with the command that lists the HSM keys", () => {
    const [c] = vaultSkuConflicts("premium", false);
    assert.equal(c.kind, "advised");
    assert.equal(c.key, "keyVaultSku");
    assert.match(
      c.remedy,
      /keep premium while such keys exist \(az keyvault key list --vault-name <vault> --query "\[\?kty=='RSA-HSM'\]\.name"\)/,
    );
    assert.deepEqual(vaultSkuConflicts("Premium", true), []);
    assert.deepEqual(vaultSkuConflicts("standard", false), []);
    assert.deepEqual(vaultSkuConflicts("standard", true), [], "an upgrade is not warned of");
    assert.deepEqual(vaultSkuConflicts(undefined, false), []);
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
    // The platform's four vaults (main, Cosmos DB's, the ML keys', the ML workspace's), each once.
    assert.equal(new Set(vaults.map((w) => /'([^']+)'/.exec(w)?.[1])).size, 4, vaults.join("\n"));
    assert.equal(vaults.length, 4);
    const same = await runDeployedElsewise("dev", "lake-same");
    assert.deepEqual(
      same.warned.filter((w) => w.includes("keyVaultSku")),
      [],
    );
  });
});
