import { strict as assert } from "node:assert";
import {
  synapseAuditing,
  synapsePoolGeoBackup,
  synapseSqlPolicies,
  synapseThreatDetection,
  synapseVulnerabilityAssessment,
  templateResources,
} from "../../policies/rules/synapseSql";
import { resourceRecord } from "../../tools/lib/policyRunner";
import * as f from "./fixtures/synapse";
import {
  expectFail,
  expectNotApplicable,
  expectPass,
  failCases,
  inStack,
  mutate,
  otherResource,
  UNKNOWN,
} from "./helpers";

/** Template path of the n-th resource of the SQL security deployment. */
const at = (n: number, path: string) => `properties.template.resources.${n}.properties.${path}`;

describe("policies/synapseSql", () => {
  const ws = f.synapseWorkspace();
  const security = f.synapseSqlSecurity();

  it("exports uniquely named policies", () => {
    const names = synapseSqlPolicies.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
  });

  it("reads an inline template's resources, and nothing from an unknown or linked one", () => {
    assert.deepEqual(
      templateResources({ props: security.outputs }).map((r) => r.type),
      [
        "Microsoft.Synapse/workspaces/extendedAuditingSettings",
        "Microsoft.Synapse/workspaces/securityAlertPolicies",
        "Microsoft.Synapse/workspaces/vulnerabilityAssessments",
      ],
    );
    assert.deepEqual(templateResources({ props: mutate(security, "properties.template", UNKNOWN).outputs }), []);
    // An entry whose condition is false is not deployed.
    assert.deepEqual(
      templateResources({ props: mutate(security, "properties.template.resources.0.condition", false).outputs }).map(
        (r) => r.type,
      ),
      ["Microsoft.Synapse/workspaces/securityAlertPolicies", "Microsoft.Synapse/workspaces/vulnerabilityAssessments"],
    );
  });

  describe(synapseAuditing.name, () => {
    it("passes a workspace whose deployment audits to Azure Monitor", () =>
      expectPass(synapseAuditing, [ws, security]));
    it("passes when the audit action groups are left to the service default", () =>
      expectPass(synapseAuditing, [ws, mutate(security, at(0, "auditActionsAndGroups"), undefined)]));
    it("fails a workspace without auditing, naming it", async () => {
      const v = await expectFail(
        synapseAuditing,
        [ws],
        /synw-pay-dev-weu .*has no SQL auditing: add Microsoft\.Synapse\/workspaces\/extendedAuditingSettings/,
      );
      assert.equal(v.urn, ws.urn);
    });
    it("fails auditing that targets another workspace", () =>
      expectFail(
        synapseAuditing,
        [ws, mutate(security, "properties.parameters.workspaceName.value", "synw-other")],
        /has no SQL auditing/,
      ));
    it("fails auditing switched off", () =>
      expectFail(
        synapseAuditing,
        [ws, mutate(security, at(0, "state"), "Disabled")],
        /SQL auditing "Disabled": set state to "Enabled"/,
      ));
    it("fails auditing without the Azure Monitor target", () =>
      expectFail(
        synapseAuditing,
        [ws, mutate(security, at(0, "isAzureMonitorTargetEnabled"), false)],
        /set isAzureMonitorTargetEnabled to true/,
      ));
    it("fails when failed logins are not audited", () =>
      expectFail(
        synapseAuditing,
        [ws, mutate(security, at(0, "auditActionsAndGroups"), ["BATCH_COMPLETED_GROUP"])],
        /does not audit SUCCESSFUL_DATABASE_AUTHENTICATION_GROUP, FAILED_DATABASE_AUTHENTICATION_GROUP/,
      ));
    it("is not applicable to a stack without workspaces", () =>
      expectNotApplicable(synapseAuditing, [otherResource()]));
  });

  describe(synapseThreatDetection.name, () => {
    it("passes a workspace with every alert on", () => expectPass(synapseThreatDetection, [ws, security]));
    it("fails a workspace without threat detection", () =>
      expectFail(synapseThreatDetection, [ws], /synw-pay-dev-weu .*has no threat detection/));
    it("fails threat detection switched off", () =>
      expectFail(
        synapseThreatDetection,
        [ws, mutate(security, at(1, "state"), "Disabled")],
        /threat detection "Disabled"/,
      ));
    it("passes alerts mailed to the account admins only", () =>
      expectPass(synapseThreatDetection, [ws, mutate(security, at(1, "emailAddresses"), [])]));
    it("fails alerts mailed to nobody (no address, admins off)", () =>
      expectFail(
        synapseThreatDetection,
        [ws, mutate(mutate(security, at(1, "emailAddresses"), []), at(1, "emailAccountAdmins"), false)],
        /e-mails its threat alerts to nobody/,
      ));
    it("fails disabled alert types", () =>
      expectFail(
        synapseThreatDetection,
        [ws, mutate(security, at(1, "disabledAlerts"), ["Sql_Injection"])],
        /disables threat alerts Sql_Injection: set disabledAlerts to \[\]/,
      ));
  });

  describe(synapseVulnerabilityAssessment.name, () => {
    it("passes recurring scans declared in the deployment", () =>
      expectPass(synapseVulnerabilityAssessment, [ws, security]));
    it("passes the typed class matched by workspaceName", () =>
      expectPass(synapseVulnerabilityAssessment, [
        ws,
        resourceRecord("azure-native:synapse:WorkspaceManagedSqlServerVulnerabilityAssessment", "va", {
          resourceGroupName: "rg",
          workspaceName: f.workspaceName("dev"),
          storageContainerPath: "https://st.blob.core.windows.net/va/",
          recurringScans: { isEnabled: true },
        }),
      ]));
    it("fails a workspace without vulnerability assessment (the program's rule that was missing)", () =>
      expectFail(synapseVulnerabilityAssessment, [ws], /synw-pay-dev-weu .*has no vulnerability assessment/));
    it("fails a second, weaker declaration next to the compliant one (both write the same singleton)", () =>
      expectFail(
        synapseVulnerabilityAssessment,
        [
          ws,
          security,
          resourceRecord("azure-native:synapse:WorkspaceManagedSqlServerVulnerabilityAssessment", "va-off", {
            resourceGroupName: "rg",
            workspaceName: f.workspaceName("dev"),
            storageContainerPath: "https://st.blob.core.windows.net/va/",
            recurringScans: { isEnabled: false },
          }),
        ],
        /runs no recurring vulnerability scans/,
      ));
    it("fails scans that are not recurring", () =>
      expectFail(
        synapseVulnerabilityAssessment,
        [ws, mutate(security, at(2, "recurringScans.isEnabled"), false)],
        /runs no recurring vulnerability scans/,
      ));
    it("fails a storage key or SAS", () =>
      expectFail(
        synapseVulnerabilityAssessment,
        [ws, mutate(security, at(2, "storageContainerSasKey"), UNKNOWN)],
        /gives vulnerability assessment a storage key or SAS/,
      ));
  });

  describe(synapsePoolGeoBackup.name, () => {
    const pool = f.synapseSqlPool("prod");
    it("passes a prod pool with GRS backups", () => expectPass(synapsePoolGeoBackup, pool));
    failCases(synapsePoolGeoBackup, pool, [
      [
        "a prod pool opts out of geo-backups",
        "storageAccountType",
        "LRS",
        /syndp_pay_prod .*storageAccountType "LRS"\): set storageAccountType to "GRS"/,
      ],
      ["a prod pool leaves it unset", "storageAccountType", undefined, /keeps no geo-backups/],
    ]);
    it("is not applicable to dev pools", () =>
      expectNotApplicable(synapsePoolGeoBackup, inStack(mutate(pool, "storageAccountType", "LRS"), "dev")));
    it("honours prodStacks", () =>
      expectFail(synapsePoolGeoBackup, mutate(f.synapseSqlPool("dev"), "storageAccountType", "LRS"), /geo-backups/, {
        prodStacks: ["dev"],
      }));
  });
});
