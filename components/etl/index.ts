/**
 * ETL tier (flow 2): Azure Data Factory, private and identity-only, running the pipelines generated from the data
 * model (pipelines/etl/, contract in pipelines/etl/contract.ts). Its managed virtual network opens every port
 * outbound: `etl.outboundAllowList` assigns Data Factory's outbound allow-list (docs/etl.md, "Outbound traffic").
 *
 *  - The factory: public network access disabled, private endpoints `dataFactory` (the factory's API) and `portal`
 *    (ADF Studio), a customer-managed key set at creation (the platform's `cmk-data-factory` through its
 *    user-assigned identity: Data Factory accepts a key only on an empty factory, and a managed-VNet factory only at
 *    creation, enable-customer-managed-key), and a second user-assigned identity, the ETL identity, that every linked
 *    service authenticates as. Diagnostics (pipeline, activity and trigger runs) to Log Analytics in resource-specific
 *    tables; prod: `protect` and a CanNotDelete lock.
 *  - Its managed virtual network (`default`) with the Azure integration runtime inside it, and a managed private
 *    endpoint to every store it touches (OLTP server(s), the Synapse `Sql` endpoint, the lake's dfs and blob, Cosmos
 *    DB). Each is created Pending on its target; `npm run etl:ops -- approve-endpoints` approves exactly the
 *    factory's own (docs/operations.md).
 *  - Linked services (managed identity only, no secret), the global parameters the definitions read, then the
 *    generated datasets, pipelines (a pipeline after those it executes) and triggers, each after what it references.
 *    Triggers are created stopped; the deploy workflow starts them after `pulumi up`.
 *
 * Grants on the stores are made by their tiers' hooks in index.ts (lake, Cosmos DB containers, pool operator, ETL
 * workload group); the SQL users come from the generated SQL, named `databaseUserName`.
 */
import * as azuread from "@pulumi/azuread";
import * as authorization from "@pulumi/azure-native/authorization";
import * as datafactory from "@pulumi/azure-native/datafactory";
import * as resources from "@pulumi/azure-native/resources";
import * as pulumi from "@pulumi/pulumi";
import {
  ADF_DEPLOYMENT_LINKED_SERVICES,
  ADF_INTEGRATION_RUNTIME,
  ADF_LINKED_SERVICES,
  type AdfLinkedServiceRole,
} from "../../pipelines/etl/contract";
import { olapLoadSchedule, type OlapLoadSchedule } from "../../pipelines/etl/orchestration";
import { offHoursOperations } from "./offHours";
import {
  afterCreationOnlyCheck,
  deployedOrNone,
  diagnosticSetting,
  managementLock,
  privateEndpoint,
  roleAssignments,
  Serial,
  type LockSpec,
  type ManagedIdentity,
  workloadIdentity,
} from "../shared";
import { checkDefinitions, convertPipeline, convertDataset, convertTrigger, referencesOf } from "./definitions";
import {
  ADF_OUTBOUND_POLICY_DEFINITION_ID,
  deploymentLinkedServiceProperties,
  DEPLOYMENT_CREDENTIAL_NAME,
  factoryCreationOnlyConflicts,
  ETL_CREDENTIAL_NAME,
  groupIdOf,
  integrationRuntimeProperties,
  linkedServiceProperties,
  MANAGED_ENDPOINTS,
  MANAGED_VNET_NAME,
  managedVirtualNetworkTemplate,
  outboundDomains,
  type ManagedEndpointTarget,
} from "./settings";

type LinkedServiceArgs = datafactory.LinkedServiceArgs["properties"];

import {
  etlIdentityName,
  globalParameterValuesOf,
  PROVIDED,
  validateEtlArgs,
  type EtlArgs,
  type ManagedEndpointSpec,
} from "./args";

export * from "./args";
export * from "./definitions";
export * from "./offHours";
export * from "./settings";

export class Etl extends pulumi.ComponentResource {
  public readonly factoryId: pulumi.Output<string>;
  public readonly factoryName: pulumi.Output<string>;
  /** The ETL identity every nightly linked service authenticates as (grant it on the stores). */
  public readonly identity: ManagedIdentity;
  /** The deployment identity of the schema deployment pipeline (a member of the SQL admin group). */
  public readonly deploymentIdentity: ManagedIdentity;
  /**
   * The ETL identity's name: the Entra display name of a user-assigned identity is its resource name, so this is
   * the database user the generated SQL creates (`-v EtlPrincipalName=...`) and the ETL workload group's member.
   */
  public readonly databaseUserName: string;
  /** Names of the generated pipelines, triggers and datasets deployed to the factory. */
  public readonly pipelineNames: readonly string[];
  public readonly triggerNames: readonly string[];
  public readonly datasetNames: readonly string[];
  /**
   * The warehouse load's schedule (the publish pipeline, how often its master runs), for the freshness alert;
   * undefined without definitions or a schedule trigger.
   */
  public readonly olapLoad: OlapLoadSchedule | undefined;
  /** Managed private endpoint names by target (the private endpoint on the target is `<factory>.<name>`). */
  public readonly managedPrivateEndpointNames: Readonly<Partial<Record<ManagedEndpointTarget, string>>>;

  constructor(name: string, args: EtlArgs, opts?: pulumi.ComponentResourceOptions) {
    super("payments:etl:Etl", name, {}, opts);
    validateEtlArgs(args);
    const { context, customerManagedKey: cmk } = args;
    const rg = args.resourceGroupName;
    const location = context.config.location;
    const protect = args.protect ?? false;
    // No management lock by default, even in prod: a lock on the factory applies to its children ("all resources
    // within that scope inherit the same lock", lock-resources), so an `up` that removes or replaces a pipeline,
    // dataset, trigger, linked service or managed private endpoint (a routine model change) would fail with
    // ScopeLocked. The factory holds no data; `protect` still keeps Pulumi from deleting it (as the ML workspace).
    const lock: LockSpec = args.lock ?? { kind: "None" };
    // The factory moves payment data from the CDE database but stores none itself: CDE-connected, confidential.
    const tags =
      args.tags ?? context.tags({ dataClassification: "confidential", pciScope: "connected", component: "etl" });

    // The ETL identity: distinct from the key's identity, so data access and key access stay apart; and the
    // deployment identity, distinct from both, so the nightly runs never hold the schema deployment's db_owner.
    this.databaseUserName = etlIdentityName(context);
    const etlIdentity = workloadIdentity(
      `${name}-identity`,
      {
        resourceName: this.databaseUserName,
        resourceGroupName: rg,
        location,
        tags,
        protect,
        what: "the identity of the ETL (its database users)",
      },
      this,
    );
    this.identity = { id: etlIdentity.id, principalId: etlIdentity.principalId, clientId: etlIdentity.clientId };
    const deployIdentity = workloadIdentity(
      `${name}-deploy-identity`,
      {
        resourceName: etlIdentityName(context, "deployment"),
        resourceGroupName: rg,
        location,
        tags,
        protect,
        what: "the identity of the schema deployment",
      },
      this,
    );
    this.deploymentIdentity = {
      id: deployIdentity.id,
      principalId: deployIdentity.principalId,
      clientId: deployIdentity.clientId,
    };
    // Entra admin of both SQL engines through the group (CREATE USER, sp_cdc_enable_db need db_owner).
    const adminMembership = new azuread.GroupMember(
      `${name}-deploy-identity-sql-admin`,
      { groupObjectId: args.sqlAdminGroupObjectId, memberObjectId: deployIdentity.principalId },
      { parent: this },
    );

    const defs = args.definitions;
    const encrypted = args.etl.customerManagedKey;
    // The key is set when Azure creates the factory: a preview of a deployed stack reads the factory and refuses a
    // change of `etl.customerManagedKey`, naming it, before the factory registers (components/shared/deployed.ts).
    const factoryName = afterCreationOnlyCheck(pulumi.all([context.globalName("dataFactory", args.suffix), rg]), {
      resource: ([factoryName]) => `the Data Factory '${factoryName}'`,
      read: ([factoryName, resourceGroupName]) =>
        deployedOrNone(() => datafactory.getFactory({ resourceGroupName, factoryName }, { parent: this })),
      conflicts: (deployed) => factoryCreationOnlyConflicts(deployed, encrypted),
    }).apply(([factoryName]) => factoryName);
    const factory = new datafactory.Factory(
      `${name}-factory`,
      {
        factoryName,
        resourceGroupName: rg,
        location,
        publicNetworkAccess: datafactory.PublicNetworkAccess.Disabled,
        // ARM expects a map { <identity id>: {} } (FactoryIdentity.userAssignedIdentities).
        identity: {
          type: datafactory.FactoryIdentityType.UserAssigned,
          userAssignedIdentities: pulumi
            .all([...(encrypted ? [cmk.identity.id] : []), etlIdentity.id, deployIdentity.id])
            .apply((ids) => Object.fromEntries(ids.map((id) => [id, {}]))),
        },
        // Versionless (no `keyVersion`): the REST spec says "If not provided, latest version will be used", but
        // Microsoft's CMK page asks to update the factory to each new version ("Update Key Version",
        // learn.microsoft.com/azure/data-factory/enable-customer-managed-key): whether it follows the rotation
        // policy on its own is a first-deploy check (docs/operations.md). The key is chosen at creation only; its
        // version may be updated in place (the page's "Update Key Version").
        // Without it (`etl.customerManagedKey: false`, the fallback), Microsoft-managed keys: the pack's customer-managed
        // key rule then needs an exemption (its date in its reason).
        ...(encrypted
          ? {
              encryption: {
                // From the key's URI (`https://<vault>.vault.azure.net/keys/<name>`): known once the key exists,
                // whereas the vault's `vaultUri` is read from a nested output that a preview does not have.
                vaultBaseUrl: cmk.keyUri.apply((u) => `${new URL(u).origin}/`),
                keyName: cmk.keyName,
                identity: { userAssignedIdentity: cmk.identity.id },
              },
            }
          : {}),
        // On the factory itself, not a separate `GlobalParameter` resource: a later PUT of the factory (a tag
        // change, say) wipes parameters created through their own API, and Pulumi would not see the drift ("Either
        // customer can use legacy method or new feature ... would require for them to include global parameter in
        // their factory resource": the Data Factory team in Azure/bicep-registry-modules#4268).
        ...(defs && Object.keys(defs.globalParameters).length > 0
          ? {
              globalParameters: Object.fromEntries(
                Object.entries(defs.globalParameters).map(([n, spec]) => [
                  n,
                  { type: spec.type, value: globalParameterValuesOf(args)[n] },
                ]),
              ),
            }
          : {}),
        tags,
      },
      // The factory checks key access when it is created with the key: wait for the identity's grant.
      // The key's grant is waited for only when the factory uses the key.
      { parent: this, protect, dependsOn: encrypted ? [cmk.accessGrant] : [] },
    );
    const scope = { resourceGroupName: rg, factoryName: factory.name };

    // The managed virtual network opens every port outbound: Data Factory's outbound allow-list (a preview Azure
    // Policy, Deny) limits the pipelines to the stores' hosts and Resource Manager. Assigned on the factory's resource
    // group, as Microsoft's page does (configure-outbound-allow-list-azure-policy); enforced once "Outbound rules" is
    // switched on in ADF Studio (docs/etl.md, "Outbound traffic").
    if (args.etl.outboundAllowList) {
      const t = args.targets;
      new authorization.PolicyAssignment(
        `${name}-outbound-allow-list`,
        {
          policyAssignmentName: "adf-outbound-allow-list",
          scope: factory.id.apply((id) => id.split("/providers/")[0]),
          policyDefinitionId: ADF_OUTBOUND_POLICY_DEFINITION_ID,
          displayName: "Data Factory pipelines reach only the platform's stores",
          // The guidance in the description, not in `nonComplianceMessages`: "Custom messages for non-compliance are
          // only supported on definitions or initiatives with Resource Manager modes definitions" (azure-docs
          // governance/policy/concepts/assignment-structure.md), and this definition's mode is the resource provider
          // mode `Microsoft.DataFactory.Data` (Azure/azure-policy, Data Factory/Factory_OutboundTraffic_Audit.json);
          // an assignment of a `Microsoft.Kubernetes.Data` definition with a message is refused (Azure/alzlib#243).
          description:
            "The factory's managed virtual network opens every port outbound; this allow-list keeps pipelines to the stores they move data between and Resource Manager: a new domain is added to outboundDomains (components/etl/settings.ts) in a reviewed change (docs/etl.md, Outbound traffic). Managed by Pulumi (payments-data-platform).",
          enforcementMode: authorization.EnforcementMode.Default,
          parameters: {
            effect: { value: "Deny" },
            allowedDomainNames: {
              value: pulumi
                .all([
                  t.oltp.server,
                  t.warehouse.server,
                  t.lake.url,
                  t.cosmos.accountEndpoint,
                  pulumi.all([...(t.oltp.servers ?? [])]),
                ])
                .apply(([oltp, warehouse, lake, cosmos, servers]) =>
                  outboundDomains(
                    { oltp, warehouse, lake, cosmos },
                    [context.config.location, context.config.secondaryLocation],
                    servers,
                  ),
                ),
            },
          },
        },
        { parent: this, dependsOn: [factory] },
      );
    }

    // The factory's managed virtual network, through an ARM deployment (managedVirtualNetworkTemplate: why not a
    // typed or generic resource). Deleting the deployment leaves it; it goes with the factory.
    const managedVnet = new resources.Deployment(
      `${name}-managed-vnet`,
      {
        deploymentName: pulumi.interpolate`${factory.name}-managed-vnet`,
        resourceGroupName: rg,
        properties: {
          mode: resources.DeploymentMode.Incremental,
          template: managedVirtualNetworkTemplate(),
          parameters: { factoryName: { value: factory.name } },
        },
        tags,
      },
      { parent: this },
    );

    const ir = new datafactory.IntegrationRuntime(
      `${name}-ir`,
      {
        ...scope,
        integrationRuntimeName: ADF_INTEGRATION_RUNTIME,
        properties: integrationRuntimeProperties(args.etl.integrationRuntime),
      },
      { parent: this, dependsOn: [managedVnet] },
    );

    // Managed private endpoints: created Pending on each target; one at a time inside the managed VNet, deleted one
    // at a time too (a `Serial`: a tier turned off removes endpoints that are not neighbours in the chain).
    const endpointNames: Partial<Record<ManagedEndpointTarget, string>> = {};
    const endpointChain = new Serial([managedVnet]);
    for (const [target, spec] of Object.entries(args.managedEndpoints) as [
      ManagedEndpointTarget,
      ManagedEndpointSpec,
    ][]) {
      const meta = MANAGED_ENDPOINTS[target];
      endpointNames[target] = meta.name;
      endpointChain.next(
        (dependsOn) =>
          new datafactory.ManagedPrivateEndpoint(
            `${name}-${meta.name}`,
            {
              ...scope,
              managedVirtualNetworkName: MANAGED_VNET_NAME,
              managedPrivateEndpointName: meta.name,
              properties: { privateLinkResourceId: spec.resourceId, groupId: groupIdOf(target) },
            },
            // Azure fills in `fqdns` after creation; it is an input in the SDK, so a refresh would report it and Data
            // Factory refuses to change a managed private endpoint in place (terraform-provider-azurerm#15640, fixed
            // by treating fqdns as computed in #15644). For the same reason a new target (a server or account that was
            // recreated or renamed) replaces the endpoint, the old one first (its name is fixed): "a private endpoint
            // with the same name but with modified properties, the deployment will fail" (Data Factory's CI/CD best
            // practices).
            {
              parent: this,
              dependsOn: [...dependsOn, ...(spec.after ?? [])],
              ignoreChanges: ["properties.fqdns"],
              replaceOnChanges: ["properties.privateLinkResourceId", "properties.groupId"],
              deleteBeforeReplace: true,
            },
          ),
      );
    }
    this.managedPrivateEndpointNames = endpointNames;

    const credentialOf = (key: string, credentialName: string, identityId: pulumi.Output<string>, what: string) =>
      new datafactory.CredentialOperation(
        `${name}-${key}`,
        {
          ...scope,
          credentialName,
          properties: { type: "ManagedIdentity", description: what, resourceId: identityId },
        },
        { parent: this },
      );
    const credential = credentialOf(
      "credential",
      ETL_CREDENTIAL_NAME,
      etlIdentity.id,
      "The ETL user-assigned identity: every nightly linked service and Web activity authenticates as it.",
    );
    const deployCredential = credentialOf(
      "deploy-credential",
      DEPLOYMENT_CREDENTIAL_NAME,
      deployIdentity.id,
      "The deployment identity: only the schema deployment pipeline's linked services authenticate as it.",
    );

    const linkedServices: pulumi.Resource[] = [];
    const linkedService = (
      key: string,
      linkedServiceName: string,
      properties: LinkedServiceArgs,
      after: pulumi.Resource[],
    ) =>
      linkedServices.push(
        new datafactory.LinkedService(
          `${name}-ls-${key}`,
          { ...scope, linkedServiceName, properties },
          { parent: this, dependsOn: [ir, ...after] },
        ),
      );
    for (const [role, properties] of Object.entries(linkedServiceProperties(args.targets, ir.name))) {
      linkedService(role, ADF_LINKED_SERVICES[role as AdfLinkedServiceRole], properties, [credential]);
    }
    for (const [role, properties] of Object.entries(deploymentLinkedServiceProperties(args.targets, ir.name))) {
      linkedService(
        `${role}-deploy`,
        ADF_DEPLOYMENT_LINKED_SERVICES[role as keyof typeof ADF_DEPLOYMENT_LINKED_SERVICES],
        properties,
        [deployCredential, adminMembership],
      );
    }

    // What a definition references must exist before it (Data Factory refuses a reference to a missing entity).
    const datasets = new Map<string, pulumi.Resource>();
    const pipelinesCreated = new Map<string, pulumi.Resource>();
    const referenced = (value: unknown): pulumi.Resource[] => {
      const refs = referencesOf(value);
      return [
        ...[...refs.datasets].map((n) => datasets.get(n)),
        ...[...refs.pipelines].map((n) => pipelinesCreated.get(n)),
      ].filter((r): r is pulumi.Resource => r !== undefined);
    };
    const base = [...linkedServices];
    for (const d of defs?.datasets ?? []) {
      datasets.set(
        d.name,
        new datafactory.Dataset(
          `${name}-ds-${d.name}`,
          {
            ...scope,
            datasetName: d.name,
            properties: convertDataset(d),
          },
          { parent: this, dependsOn: linkedServices },
        ),
      );
    }
    const pipelineOrder = defs ? checkDefinitions(defs, PROVIDED).pipelineOrder : [];
    const pipelines = new Map((defs?.pipelines ?? []).map((p) => [p.name, p]));
    for (const pipelineName of pipelineOrder) {
      const p = pipelines.get(pipelineName)!;
      pipelinesCreated.set(
        p.name,
        new datafactory.Pipeline(
          `${name}-pl-${p.name}`,
          {
            ...scope,
            pipelineName: p.name,
            ...convertPipeline(p),
          },
          { parent: this, dependsOn: [...base, ...referenced(p.properties)] },
        ),
      );
    }
    for (const t of defs?.triggers ?? []) {
      // Created stopped (Azure's default for a new trigger); the deploy workflow starts them after `pulumi up`.
      new datafactory.Trigger(
        `${name}-tr-${t.name}`,
        {
          ...scope,
          triggerName: t.name,
          properties: convertTrigger(t),
        },
        { parent: this, dependsOn: referenced(t.properties) },
      );
    }
    this.pipelineNames = pipelineOrder;
    this.triggerNames = (defs?.triggers ?? []).map((t) => t.name);
    this.datasetNames = (defs?.datasets ?? []).map((d) => d.name);
    this.olapLoad = defs ? olapLoadSchedule(defs) : undefined;

    // Private endpoints of the factory itself: its data plane (`dataFactory`: the channel of a self-hosted runtime and
    // of clients in the VNet; the CLI and Pulumi go through Resource Manager) and ADF Studio (`portal`). Microsoft
    // notes that turning public network access off applies to the self-hosted runtime, and that Studio can still be
    // reached publicly (data-factory-private-link): the `portal` endpoint adds a private path, not a restriction.
    let previousPe: pulumi.Resource = factory;
    for (const service of ["dataFactory", "dataFactoryPortal"] as const) {
      previousPe = privateEndpoint(
        `${name}-factory-${service === "dataFactory" ? "api" : "portal"}`,
        {
          service,
          targetId: factory.id,
          targetName: factory.name,
          target: args.privateEndpoints,
          tags,
          dependsOn: [previousPe],
        },
        this,
      ).endpoint;
    }

    // allLogs in resource-specific tables: ADFPipelineRun, ADFActivityRun, ADFTriggerRun (+ sandbox/SSIS categories).
    diagnosticSetting(`${name}-factory`, factory.id, args.diagnosticSettings, this);
    managementLock(`${name}-factory`, factory.id, lock, this, factory);
    roleAssignments(`${name}-factory`, factory.id, args.roleAssignments, this);

    if (args.offHours) {
      offHoursOperations(
        name,
        { ...args.offHours, context, resourceGroupName: rg, principalId: etlIdentity.principalId, tags },
        this,
      );
    }

    this.factoryId = factory.id;
    this.factoryName = factory.name;
    this.registerOutputs({
      factoryId: this.factoryId,
      factoryName: this.factoryName,
      identityPrincipalId: this.identity.principalId,
      deploymentIdentityPrincipalId: this.deploymentIdentity.principalId,
      identityClientId: this.identity.clientId,
      databaseUserName: this.databaseUserName,
      pipelineNames: this.pipelineNames,
      triggerNames: this.triggerNames,
      olapLoad: this.olapLoad,
      managedPrivateEndpointNames: this.managedPrivateEndpointNames,
    });
  }
}
