import { strict as assert } from "node:assert";
import { unknownCheckingProxy } from "@pulumi/policy";
import {
  synapseAuditing,
  synapsePoolGeoBackup,
  synapseSqlPolicies,
  synapseThreatDetection,
  synapseSqlSecurityDeclared,
  synapseVaStorageKeys,
  synapseVulnerabilityAssessment,
  templateResources,
} from "../../policies/rules/synapseSql";
import { SYNAPSE_SQL_SECURITY_SETTINGS, SYNAPSE_SQL_SECURITY_TAG } from "../../policies/lib/templates";
import { valueAt } from "../../policies/lib/values";
import { evaluatePolicy, resourceRecord } from "../../tools/lib/policyRunner";
import * as f from "./fixtures/synapse";
import { rgName } from "./fixtures/sql";
import {
  expectFail,
  expectNotApplicable,
  expectPass,
  expectUndecided,
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
  /** The same deployment with no claim in its tag. */
  const unclaimed = mutate(security, `tags.${SYNAPSE_SQL_SECURITY_TAG}`, undefined);

  it("exports uniquely named policies", () => {
    const names = synapseSqlPolicies.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
  });

  it("reads an inline template's resources, and nothing from an unknown or linked one", () => {
    assert.deepEqual(
      templateResources({ props: security.inputs }).map((r) => r.type),
      [
        "Microsoft.Synapse/workspaces/extendedAuditingSettings",
        "Microsoft.Synapse/workspaces/securityAlertPolicies",
        "Microsoft.Synapse/workspaces/vulnerabilityAssessments",
      ],
    );
    assert.deepEqual(templateResources({ props: mutate(security, "properties.template", UNKNOWN).inputs }), []);
    // An entry whose condition is false is not deployed.
    assert.deepEqual(
      templateResources({ props: mutate(security, "properties.template.resources.0.condition", false).inputs }).map(
        (r) => r.type,
      ),
      ["Microsoft.Synapse/workspaces/securityAlertPolicies", "Microsoft.Synapse/workspaces/vulnerabilityAssessments"],
    );
  });

  describe("template conditions (parameters, variables, logical and comparison functions)", () => {
    /** The deployed state of a one-entry template with `condition`, parameters given and declared. */
    /** Through the engine's unknown-checking proxy, as rules see props (UNKNOWN reads throw there). */
    const stateOfProps = (properties: Record<string, unknown>) => {
      const entries = templateResources({ props: unknownCheckingProxy(properties) as Record<string, unknown> });
      return entries.length === 0 ? "not deployed" : entries[0].deployed;
    };
    const entry = (condition: unknown) => ({
      type: "Microsoft.Synapse/workspaces/auditingSettings",
      name: "x",
      ...(condition === undefined ? {} : { condition }),
    });
    const stateOf = (
      condition: unknown,
      given: Record<string, unknown> = {},
      declared: Record<string, unknown> = {},
      variables: Record<string, unknown> = {},
    ) =>
      stateOfProps({
        properties: {
          parameters: Object.fromEntries(Object.entries(given).map(([k, v]) => [k, { value: v }])),
          template: {
            parameters: Object.fromEntries(Object.entries(declared).map(([k, v]) => [k, { defaultValue: v }])),
            variables,
            resources: [entry(condition)],
          },
        },
      });
    it("leaves out an entry whose condition is false, literally or through the deployment's parameters", () => {
      assert.equal(stateOf(false), "not deployed");
      assert.equal(stateOf("[parameters('on')]", { on: false }), "not deployed");
      assert.equal(stateOf("[parameters('ON')]", { on: false }), "not deployed", "names are case-insensitive");
      assert.equal(stateOf("[parameters('on')]", {}, { on: false }), "not deployed", "the template's default");
      assert.equal(stateOf("[parameters('on')]", { on: false }, { on: true }), "not deployed", "the value wins");
      assert.equal(stateOf("[not(parameters('on'))]", { on: true }), "not deployed");
      assert.equal(stateOf("[equals(parameters('env'), 'prod')]", { env: "dev" }), "not deployed");
      assert.equal(stateOf("[and(true(), parameters('on'))]", { on: false }), "not deployed");
      assert.equal(stateOf("[and(greater(1, 0), false())]"), "not deployed", "false decides and() alone");
      assert.equal(stateOf("[variables('on')]", {}, {}, { on: "[bool('false')]" }), "not deployed");
      assert.equal(stateOf("[if(parameters('on'), false(), true())]", { on: true }), "not deployed");
    });
    it("keeps an entry whose condition is true as deployed", () => {
      assert.equal(stateOf(undefined), true);
      assert.equal(stateOf(true), true);
      assert.equal(stateOf("[parameters('on')]", { on: true }), true);
      assert.equal(stateOf("[or(parameters('on'), greater(2, 1))]", { on: true }), true, "true decides or() alone");
      assert.equal(stateOf("[equals(parameters('env'), 'it''s')]", { env: "it's" }), true, "escaped quote");
      assert.equal(stateOf("[bool(1)]"), true);
    });
    it("keeps an entry whose condition it cannot evaluate, marked unknown (never a guess)", () => {
      assert.equal(stateOf("[greater(parameters('n'), 1)]", { n: 2 }), "unknown", "function not evaluated");
      assert.equal(stateOf("[parameters('on')]"), "unknown", "no value and no default");
      assert.equal(stateOf("[parameters('cfg').on]", { cfg: { on: false } }), "unknown", "property access");
      assert.equal(stateOf("[equals(parameters('env'), 'PROD')]", { env: "prod" }), "unknown", "case rule unknown");
      assert.equal(stateOf("[parameters('on')]", { on: UNKNOWN }), "unknown", "a value unknown during preview");
      assert.equal(stateOf("[parameters('on')"), "unknown", "malformed");
      assert.equal(stateOf("[variables('a')]", {}, {}, { a: "[variables('a')]" }), "unknown", "self-reference");
      assert.equal(stateOf("false"), "unknown", "a string condition: ARM's coercion is undocumented");
      assert.equal(stateOf("[equals(parameters('on'), true())]", { on: "true" }), "unknown", "types differ");
    });
    it("never takes a template default for a value unknown during preview or linked, and never throws", () => {
      const declared = { parameters: { on: { type: "bool", defaultValue: false } } };
      const resources = [entry("[parameters('on')]")];
      assert.equal(
        stateOfProps({ properties: { parameters: UNKNOWN, template: { ...declared, resources } } }),
        "unknown",
        "all parameters unknown",
      );
      assert.equal(
        stateOfProps({ properties: { parameters: { on: UNKNOWN }, template: { ...declared, resources } } }),
        "unknown",
        "the parameter's entry unknown",
      );
      assert.equal(
        stateOfProps({
          properties: { parametersLink: { uri: "https://x/p.json" }, template: { ...declared, resources } },
        }),
        "unknown",
        "parameters from a link",
      );
      assert.equal(
        stateOfProps({ properties: { template: { ...declared, resources } } }),
        "not deployed",
        "no parameters given: the default applies",
      );
      assert.equal(
        stateOfProps({ properties: { template: { resources: [{ ...entry(undefined), condition: UNKNOWN }] } } }),
        "unknown",
        "an unknown condition is not an absent one",
      );
      assert.deepEqual(
        templateResources({
          props: unknownCheckingProxy({
            properties: { template: { resources: [UNKNOWN, entry(undefined)] } },
          }) as Record<string, unknown>,
        }).map((r) => r.deployed),
        [true],
        "an unknown entry is skipped, the next one read",
      );
    });
  });

  describe("settings declared under a template condition (the deployment rule: stack rules see no template)", () => {
    const gated = (condition: string, on?: boolean) => {
      let d = mutate(security, "properties.template.resources.0.condition", condition);
      if (on !== undefined) d = mutate(d, "properties.parameters.audit", { value: on });
      return d;
    };
    it("passes auditing gated on a parameter the deployment sets to true", () =>
      expectPass(synapseSqlSecurityDeclared, gated("[parameters('audit')]", true)));
    it("fails auditing gated on a parameter the deployment sets to false: not deployed", () =>
      expectFail(
        synapseSqlSecurityDeclared,
        gated("[parameters('audit')]", false),
        /claims SQL auditing \(synapse-sql-security\) but its template does not declare it/,
      ));
    it("fails compliant auditing gated on a condition the pack cannot evaluate: no evidence", () =>
      expectFail(
        synapseSqlSecurityDeclared,
        gated("[greater(length(parameters('groups')), 0)]"),
        /claims SQL auditing \(synapse-sql-security\) but declares it only under a condition the pack cannot evaluate \(\[greater\(length\(parameters\('groups'\)\), 0\)\]\): make the entry unconditional/,
      ));
    it("still fails a weak setting gated on a condition it cannot evaluate (it may be deployed)", () =>
      expectFail(
        synapseSqlSecurityDeclared,
        mutate(
          mutate(gated("[greater(length(parameters('groups')), 0)]"), at(0, "state"), "Disabled"),
          `tags.${SYNAPSE_SQL_SECURITY_TAG}`,
          undefined,
        ),
        /declares SQL auditing that has SQL auditing "Disabled": set state to "Enabled"/,
      ));
  });

  describe(synapseAuditing.name, () => {
    it("passes a workspace whose deployment audits to Azure Monitor", () =>
      expectPass(synapseAuditing, [ws, security]));
    it("passes when the audit action groups are left to the service default (the deployment rule checks the template)", () =>
      expectPass(synapseSqlSecurityDeclared, [mutate(security, at(0, "auditActionsAndGroups"), undefined)]));
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
    it("fails auditing for another workspace even when the deployment depends on this one", () =>
      expectFail(
        synapseAuditing,
        [
          ws,
          {
            // This workspace's identity flows into the deployment's properties; the parameter names another one.
            ...mutate(security, "properties.parameters.workspaceName.value", "synw-other"),
            propertyDependencies: { properties: [ws.urn] },
            dependencies: [ws.urn],
          },
        ],
        /synw-pay-dev-weu .*has no SQL auditing/,
      ));
    it("does not take a pool's id in the deployment (it starts with the workspace's) for the workspace", () => {
      const id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Synapse/workspaces/synw-pay-dev-weu";
      return expectFail(
        synapseAuditing,
        [
          { ...ws, outputs: { ...ws.outputs, id } },
          mutate(
            mutate(security, "properties.parameters.workspaceName.value", "synw-other"),
            "properties.parameters.poolId",
            { value: `${id}/sqlPools/dw` },
          ),
        ],
        /synw-pay-dev-weu .*has no SQL auditing/,
      );
    });
    it("passes a deployment whose workspaceName is unknown during preview, wired to the workspace", () =>
      expectPass(synapseAuditing, [
        ws,
        {
          ...mutate(security, "properties.parameters.workspaceName.value", UNKNOWN),
          propertyDependencies: { properties: [ws.urn] },
        },
      ]));
    it("fails auditing switched off (the deployment rule checks the template)", () =>
      expectFail(
        synapseSqlSecurityDeclared,
        [mutate(security, at(0, "state"), "Disabled")],
        /SQL auditing "Disabled": set state to "Enabled"/,
      ));
    it("fails auditing without the Azure Monitor target (the deployment rule checks the template)", () =>
      expectFail(
        synapseSqlSecurityDeclared,
        [mutate(security, at(0, "isAzureMonitorTargetEnabled"), false)],
        /set isAzureMonitorTargetEnabled to true/,
      ));
    it("fails when failed logins are not audited (the deployment rule checks the template)", () =>
      expectFail(
        synapseSqlSecurityDeclared,
        [mutate(security, at(0, "auditActionsAndGroups"), ["BATCH_COMPLETED_GROUP"])],
        /does not audit SUCCESSFUL_DATABASE_AUTHENTICATION_GROUP, FAILED_DATABASE_AUTHENTICATION_GROUP/,
      ));
    it("takes the audit groups in any case (the deployment rule checks the template)", () =>
      expectPass(synapseSqlSecurityDeclared, [
        mutate(security, at(0, "auditActionsAndGroups"), [
          "successful_database_authentication_group",
          "Failed_Database_Authentication_Group",
          "batch_completed_group",
        ]),
      ]));
    it("is not applicable to a stack without workspaces", () =>
      expectNotApplicable(synapseAuditing, [otherResource()]));
  });

  describe(synapseThreatDetection.name, () => {
    it("passes a workspace with every alert on", () => expectPass(synapseThreatDetection, [ws, security]));
    it("fails a workspace without threat detection", () =>
      expectFail(synapseThreatDetection, [ws], /synw-pay-dev-weu .*has no threat detection/));
    it("fails threat detection switched off (the deployment rule checks the template)", () =>
      expectFail(
        synapseSqlSecurityDeclared,
        [mutate(security, at(1, "state"), "Disabled")],
        /threat detection "Disabled"/,
      ));
    it("passes alerts mailed to the account admins only (the deployment rule checks the template)", () =>
      expectPass(synapseSqlSecurityDeclared, [mutate(security, at(1, "emailAddresses"), [])]));
    it("fails alerts mailed to nobody (no address, admins off) (the deployment rule checks the template)", () =>
      expectFail(
        synapseSqlSecurityDeclared,
        [mutate(mutate(security, at(1, "emailAddresses"), []), at(1, "emailAccountAdmins"), false)],
        /e-mails its threat alerts to nobody/,
      ));
    it("fails disabled alert types (the deployment rule checks the template)", () =>
      expectFail(
        synapseSqlSecurityDeclared,
        [mutate(security, at(1, "disabledAlerts"), ["Sql_Injection"])],
        /disables threat alerts Sql_Injection: set disabledAlerts to \[\]/,
      ));
    it("is not applicable to a stack without workspaces", () =>
      expectNotApplicable(synapseThreatDetection, [otherResource()]));
  });

  describe(synapseVulnerabilityAssessment.name, () => {
    /** The typed assessment's ARM id: the workspace's child `vulnerabilityAssessments/default`. */
    const vaId = `${String(ws.outputs.id)}/vulnerabilityAssessments/default`;
    it("passes recurring scans declared in the deployment", () =>
      expectPass(synapseVulnerabilityAssessment, [ws, security]));
    it("passes the typed class matched by workspaceName", () =>
      expectPass(synapseVulnerabilityAssessment, [
        ws,
        resourceRecord(
          "azure-native:synapse:WorkspaceManagedSqlServerVulnerabilityAssessment",
          "va",
          {
            resourceGroupName: rgName("dev"),
            workspaceName: f.workspaceName("dev"),
            storageContainerPath: "https://st.blob.core.windows.net/va/",
            recurringScans: { isEnabled: true },
          },
          // The program declares none: the offline mocks have no id for the class (its ARM path is the workspace's).
          { id: vaId },
        ),
      ]));
    it("fails a workspace without vulnerability assessment (the program's rule that was missing)", () =>
      expectFail(synapseVulnerabilityAssessment, [ws], /synw-pay-dev-weu .*has no vulnerability assessment/));
    it("cannot decide while a typed assessment created with its workspace's name written out has no id yet", () =>
      expectUndecided(
        synapseVulnerabilityAssessment,
        [
          ws,
          security,
          resourceRecord(
            "azure-native:synapse:WorkspaceManagedSqlServerVulnerabilityAssessment",
            "va-new",
            {
              resourceGroupName: rgName("dev"),
              workspaceName: f.workspaceName("dev"),
              storageContainerPath: "https://st.blob.core.windows.net/va/",
              recurringScans: { isEnabled: false },
            },
            { preview: true },
          ),
        ],
        /can't be known during preview/,
      ));
    it("fails a second, weaker declaration next to the compliant one (both write the same singleton)", () =>
      expectFail(
        synapseVulnerabilityAssessment,
        [
          ws,
          security,
          resourceRecord(
            "azure-native:synapse:WorkspaceManagedSqlServerVulnerabilityAssessment",
            "va-off",
            {
              resourceGroupName: rgName("dev"),
              workspaceName: f.workspaceName("dev"),
              storageContainerPath: "https://st.blob.core.windows.net/va/",
              recurringScans: { isEnabled: false },
            },
            { id: vaId },
          ),
        ],
        /runs no recurring vulnerability scans/,
      ));
    it("fails scans that are not recurring (the deployment rule checks the template)", () =>
      expectFail(
        synapseSqlSecurityDeclared,
        [mutate(security, at(2, "recurringScans.isEnabled"), false)],
        /runs no recurring vulnerability scans/,
      ));
    it("fails a storage key or SAS (the deployment rule checks the template)", () =>
      expectFail(
        synapseSqlSecurityDeclared,
        [mutate(security, at(2, "storageContainerSasKey"), UNKNOWN)],
        /gives vulnerability assessment a storage key or SAS/,
      ));
    it("is not applicable to a stack without workspaces", () =>
      expectNotApplicable(synapseVulnerabilityAssessment, [otherResource()]));
  });

  describe(synapseVaStorageKeys.name, () => {
    const typed = (extra: Record<string, unknown> = {}) =>
      resourceRecord("azure-native:synapse:WorkspaceManagedSqlServerVulnerabilityAssessment", "va", {
        resourceGroupName: "rg",
        workspaceName: f.workspaceName("dev"),
        storageContainerPath: "https://st.blob.core.windows.net/va/",
        recurringScans: { isEnabled: true },
        ...extra,
      });
    it("passes a typed assessment that writes with the workspace identity", () =>
      expectPass(synapseVaStorageKeys, typed()));
    it("fails a storage key or a SAS (write-only: the stack rule never sees them)", async () => {
      await expectFail(
        synapseVaStorageKeys,
        typed({ storageAccountAccessKey: UNKNOWN }),
        /va .*gives vulnerability assessment storageAccountAccessKey: remove it/,
      );
      await expectFail(synapseVaStorageKeys, typed({ storageContainerSasKey: "sv=x" }), /storageContainerSasKey/);
    });
    it("is not applicable to other types", () => expectNotApplicable(synapseVaStorageKeys, ws));
  });

  describe("as the engine shows a deployment to stack policies (outputs: no template, tags kept)", () => {
    /** The security deployment claiming `claim` (its outputs, as every fixture's, carry no template). */
    const asDeployed = (claim?: string) => mutate(security, `tags.${SYNAPSE_SQL_SECURITY_TAG}`, claim);
    it("shows stack rules no template", () =>
      assert.equal(valueAt(security.outputs, "properties", "template"), undefined));
    for (const policy of [synapseAuditing, synapseThreatDetection, synapseVulnerabilityAssessment]) {
      it(`${policy.name}: passes a targeting deployment whose tag claims the setting`, () =>
        expectPass(policy, [ws, asDeployed(SYNAPSE_SQL_SECURITY_SETTINGS.join(","))]));
      it(`${policy.name}: fails when the tag does not claim it (the template is not visible)`, () =>
        expectFail(policy, [ws, asDeployed("")], /has no /));
    }
    it("does not count a claim on a deployment that targets another workspace", () =>
      expectFail(
        synapseAuditing,
        [ws, mutate(asDeployed("auditing"), "properties.parameters.workspaceName.value", "synw-other")],
        /has no SQL auditing/,
      ));
  });

  describe(synapseSqlSecurityDeclared.name, () => {
    const claiming = (claim: string, record = security) => mutate(record, `tags.${SYNAPSE_SQL_SECURITY_TAG}`, claim);
    const all = SYNAPSE_SQL_SECURITY_SETTINGS.join(",");
    it("passes a deployment that declares, compliant and unconditionally, what its tag claims", () =>
      expectPass(synapseSqlSecurityDeclared, [claiming(all)]));
    it("passes compliant entries the tag does not claim (they just count for nothing)", () =>
      expectPass(synapseSqlSecurityDeclared, [unclaimed]));
    it("is not applicable to a deployment without Synapse SQL security and no claim", () =>
      expectNotApplicable(synapseSqlSecurityDeclared, [
        mutate(unclaimed, "properties.template.resources", [{ type: "Microsoft.Storage/storageAccounts", name: "x" }]),
      ]));
    it("fails a claim the template does not declare", () =>
      expectFail(
        synapseSqlSecurityDeclared,
        [claiming(all, mutate(security, "properties.template.resources.0", undefined))],
        /claims SQL auditing \(synapse-sql-security\) but its template does not declare it/,
      ));
    it("fails a claim declared only under a condition it cannot evaluate", () =>
      expectFail(
        synapseSqlSecurityDeclared,
        [claiming(all, mutate(security, "properties.template.resources.1.condition", "[greater(1, 0)]"))],
        /claims threat detection \(synapse-sql-security\) but declares it only under a condition the pack cannot evaluate \(\[greater\(1, 0\)\]\)/,
      ));
    it("fails a claim whose entry is named for another workspace than its workspaceName parameter", () =>
      expectFail(
        synapseSqlSecurityDeclared,
        [claiming(all, mutate(security, "properties.template.resources.0.name", "synw-other-weu/default"))],
        /claims SQL auditing \(synapse-sql-security\) but its template declares it for another workspace \(synw-other-weu\/default\)/,
      ));
    it("accepts a literal name of the workspace the parameter names, and the format() form", async () => {
      await expectPass(synapseSqlSecurityDeclared, [
        claiming(all, mutate(security, "properties.template.resources.0.name", `${f.workspaceName("dev")}/default`)),
      ]);
      await expectPass(synapseSqlSecurityDeclared, [
        claiming(
          all,
          mutate(
            security,
            "properties.template.resources.0.name",
            "[format('{0}/default', parameters('workspaceName'))]",
          ),
        ),
      ]);
    });
    it("can't run during preview when the claimed template is unknown (advisory, never a failure)", async () => {
      const r = await evaluatePolicy(synapseSqlSecurityDeclared, [
        claiming(all, mutate(security, "properties.template", UNKNOWN)),
      ]);
      assert.deepEqual(
        r.violations.map((v) => v.enforcementLevel),
        ["advisory"],
      );
      assert.match(r.violations[0].message, /during preview/);
    });
    it("fails a word that names no setting, naming the allowed ones", () =>
      expectFail(
        synapseSqlSecurityDeclared,
        [claiming("auditing,audit")],
        /has synapse-sql-security "audit": the settings are auditing, threat-detection, vulnerability-assessment/,
      ));
    it("fails a non-compliant entry, claimed or not", () =>
      expectFail(
        synapseSqlSecurityDeclared,
        [mutate(security, at(0, "state"), "Disabled")],
        /declares SQL auditing that has SQL auditing "Disabled": set state to "Enabled"/,
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
