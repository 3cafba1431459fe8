/**
 * ML tier: the Azure Machine Learning workspace that trains and serves the fraud model (flow 1's fraud score).
 *
 * - Workspace for confidential data (high business impact), public network access disabled, reached through a
 *   private endpoint (`amlworkspace`: privatelink.api.azureml.ms + privatelink.notebooks.azure.net). Its managed
 *   network allows only approved outbound traffic: Azure ML's own required rules plus a private endpoint to the Cosmos
 *   DB account of `fraud_features`; no FQDN rule, so no managed Azure Firewall is billed (settings.ts).
 * - Customer-managed key (the platform's `cmk-ml`, granted before creation), a user-assigned primary identity with
 *   exactly the roles Microsoft lists, identity-based access to its storage (no shared keys).
 * - Private, hardened dependencies (dependencies.ts): storage, its own key vault, a Premium registry, workspace-based
 *   Application Insights in the platform's private monitoring scope.
 * - A training cluster (0 nodes when idle, no public IP, local auth off, managed identity, managed network) and a
 *   managed online endpoint for fraud scoring (Entra tokens only, no public network access). Model versions reach it
 *   through registration and deployment by the release pipeline (docs/ml-operations.md); a custom role that allows
 *   only `score/action` is what callers get (`grantScoring`).
 */
import * as authorization from "@pulumi/azure-native/authorization";
import * as ml from "@pulumi/azure-native/machinelearningservices";
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import {
  BuiltInRoles,
  customRole,
  deleteGuard,
  diagnosticSetting,
  lockFor,
  privateEndpoint,
  grantPropagation,
  grantsPropagation,
  roleAssignment,
  roleAssignments,
  type ManagedIdentity,
  workloadIdentity,
} from "../shared";
import { GRANT_NAMES, tierGrants, type GrantTargets } from "./grants";
import { liveTraffic } from "./traffic";
import { mlAppInsights, mlKeyVault, mlRegistry, mlStorage, type DependencyContext } from "./dependencies";
import {
  CLUSTER_CREATION_ONLY,
  endpointName,
  managedNetwork,
  scoringEndpointProperties,
  scoringRolePermissions,
  teamRolePermissions,
  trainingCluster,
  TRAINING_CLUSTER_NAME,
} from "./settings";
import {
  COSMOS_DB_FIRST_PARTY_APP_ID,
  FEATURE_STORE_RULE,
  validateMlArgs,
  type MlArgs,
  type ScoringPrincipal,
} from "./args";

export * from "./args";
export * from "./settings";
export { tierGrants, type Grant, type GrantPrincipals, type GrantTargets } from "./grants";

export class Ml extends pulumi.ComponentResource {
  public readonly workspaceName: pulumi.Output<string>;
  public readonly workspaceId: pulumi.Output<string>;
  /** The workspace's primary user-assigned identity. */
  public readonly workspaceIdentity: ManagedIdentity;
  /** Identity of the training cluster (jobs use it, or the submitting user's identity). */
  public readonly computeIdentity: ManagedIdentity;
  /** Identity of the scoring endpoint's deployments (pulls images and models; nothing else). */
  public readonly endpointIdentity: ManagedIdentity;
  public readonly storageAccountName: pulumi.Output<string>;
  public readonly keyVaultName: pulumi.Output<string>;
  public readonly containerRegistryName: pulumi.Output<string>;
  public readonly applicationInsightsId: pulumi.Output<string>;
  public readonly computeClusterName: pulumi.Output<string>;
  /** The fraud-scoring managed online endpoint. */
  public readonly scoringEndpoint: {
    readonly name: pulumi.Output<string>;
    readonly id: pulumi.Output<string>;
    /** `https://<endpoint>.<region>.inference.ml.azure.com/score` (resolves privately through the workspace PE). */
    readonly scoringUri: pulumi.Output<string>;
    /** The custom role that allows only `score/action`; assign it on `id` (see `grantScoring`). */
    readonly invokerRoleDefinitionId: pulumi.Output<string>;
    /** Instance type and count the release pipeline deploys with (from the stack config). */
    readonly deployment: { readonly instanceType: string; readonly instanceCount: number };
  };
  private readonly componentName: string;

  constructor(name: string, args: MlArgs, opts?: pulumi.ComponentResourceOptions) {
    super("payments:ml:Ml", name, {}, opts);
    validateMlArgs(args);
    this.componentName = name;
    const { context } = args;
    const cfg = context.config;
    const protect = args.protect ?? false;
    const lock = (what: string) => args.lock ?? lockFor(protect, what);
    // PCI scope "connected": the model trains on fraud features keyed by PSP token fingerprints and on payment
    // metadata, never on PANs (the platform receives none); same reasoning as the NoSQL tier.
    const tags =
      args.tags ?? context.tags({ dataClassification: "confidential", pciScope: "connected", component: "ml" });
    const cmk = args.customerManagedKey;
    const rg = args.resourceGroupName;

    const identity = (role: string, qualifier: string, description: string) => {
      const { id, principalId, clientId } = workloadIdentity(
        `${name}-id-${role}`,
        {
          resourceName: context.name("userAssignedIdentity", qualifier),
          resourceGroupName: rg,
          location: cfg.location,
          tags: { ...tags, purpose: description },
          protect,
          what: `the identity of ${description}`,
        },
        this,
      );
      return { id, principalId, clientId };
    };
    this.workspaceIdentity = identity("workspace", "mlw", "azure-ml-workspace");
    this.computeIdentity = identity("compute", "mlc", "azure-ml-training-cluster");
    this.endpointIdentity = identity("endpoint", "mle", "azure-ml-fraud-scoring");

    const deps: DependencyContext = {
      name,
      parent: this,
      context,
      suffix: args.suffix,
      resourceGroupName: rg,
      privateEndpoints: args.privateEndpoints,
      diagnostics: args.diagnosticSettings,
      cmk,
      protect,
      lock,
      tags,
    };
    const st = mlStorage(deps);
    const kv = mlKeyVault(deps, args.tenantId, args.keyVaultAdminsGroupId, args.alertRouting);
    const cr = mlRegistry(deps);
    const appi = mlAppInsights(deps, args.diagnosticSettings.workspaceId, args.linkToMonitorScope);

    // Every identity's roles on the tier's resources, before the workspace exists (grants.ts).
    const cmkKeyId = pulumi.interpolate`${cmk.keyVaultId}/keys/${cmk.keyName}`;
    const targets: GrantTargets = {
      storage: st.id,
      keyVault: kv.id,
      registry: cr.id,
      appInsights: appi.id,
      featureStore: args.featureStore.accountId,
      resourceGroup: args.resourceGroupId,
      cmkVault: cmk.keyVaultId,
      cmkKey: cmkKeyId,
    };
    const assignments = tierGrants({
      workspace: this.workspaceIdentity.principalId,
      compute: this.computeIdentity.principalId,
      endpoint: this.endpointIdentity.principalId,
    }).map(({ target, spec }) => roleAssignment(`${name}-${GRANT_NAMES[target]}`, targets[target], spec, this));

    // Workspace metadata is encrypted with our key in a Microsoft-managed Cosmos DB account: the generally available
    // path, not service-side encryption (`enableServiceSideCMKEncryption`, a preview at the time of writing).
    // The Cosmos DB first-party principal gets wrap/unwrap on this key only. Looking it up needs Graph
    // `Application.Read.All` for the identities that run preview and up (docs/ci.md).
    const cosmosService = azuread.getServicePrincipalOutput(
      { clientId: COSMOS_DB_FIRST_PARTY_APP_ID },
      { parent: this },
    );
    assignments.push(
      roleAssignment(
        `${name}-cmk`,
        cmkKeyId,
        {
          key: "cosmos-db-service",
          principalId: cosmosService.objectId,
          principalType: "ServicePrincipal",
          roleDefinitionId: BuiltInRoles.KeyVaultCryptoServiceEncryptionUser,
          description: "Azure ML's managed Cosmos DB encrypts workspace metadata with cmk-ml.",
        },
        this,
      ),
    );
    const propagation = grantsPropagation(`${name}-grant-propagation`, assignments, this);

    const workspace = new ml.Workspace(
      `${name}-workspace`,
      {
        workspaceName: context.name("mlWorkspace"),
        resourceGroupName: rg,
        location: cfg.location,
        kind: "Default",
        sku: { name: "Basic", tier: ml.SkuTier.Basic },
        friendlyName: `Fraud detection (${cfg.environment})`,
        description: "Trains and serves the fraud model of flow 1 (payments data platform).",
        identity: {
          type: ml.ManagedServiceIdentityType.UserAssigned,
          userAssignedIdentities: [this.workspaceIdentity.id, cmk.identity.id],
        },
        primaryUserAssignedIdentity: this.workspaceIdentity.id,
        storageAccount: st.id,
        keyVault: kv.id,
        containerRegistry: cr.id,
        applicationInsights: appi.id,
        // Confidential data: less diagnostic data to Microsoft, and the cluster's scratch disks encrypted, but only in
        // a subscription that never had an Azure ML cluster (else a support ticket: docs/operations.md, "The ML
        // training cluster's scratch disks"); set at creation only.
        hbiWorkspace: true,
        // The workspace reads and writes its storage with its identity, never with account keys or SAS.
        systemDatastoresAuthMode: ml.SystemDatastoresAuthMode.Identity,
        publicNetworkAccess: ml.PublicNetworkAccessType.Disabled,
        allowPublicAccessWhenBehindVnet: false,
        // Built from plain values around the account id. The SDK still wraps the whole setting in an Output (its
        // defaults), so a first preview sends it unknown and the pack's two managed-network rules answer "can't run
        // during preview"; an update's preview, with the account id known, and `npm run analyze` check it.
        managedNetwork: managedNetwork([
          { name: FEATURE_STORE_RULE, serviceResourceId: args.featureStore.accountId, subresourceTarget: "Sql" },
        ]),
        // Online deployments need the managed network provisioned first (how-to-managed-network).
        provisionNetworkNow: true,
        encryption: {
          status: ml.EncryptionStatus.Enabled,
          identity: { userAssignedIdentity: cmk.identity.id },
          keyVaultProperties: { keyVaultArmId: cmk.keyVaultId, keyIdentifier: cmk.keyUriWithVersion },
        },
        enableServiceSideCMKEncryption: false,
        // ACR Tasks cannot reach a registry behind a private endpoint: images build on the training cluster.
        imageBuildCompute: TRAINING_CLUSTER_NAME,
        v1LegacyMode: false,
        tags,
      },
      {
        parent: this,
        protect,
        dependsOn: [
          propagation,
          cmk.accessGrant,
          ...(args.featureStore.after ?? []),
          // Its managed network adds private endpoints to these: after their own.
          ...st.settled,
          ...kv.settled,
          ...cr.settled,
        ],
      },
    );
    const { zoneGroup: workspaceEndpoint } = privateEndpoint(
      `${name}-workspace`,
      {
        service: "mlWorkspace",
        targetId: workspace.id,
        targetName: workspace.name,
        target: args.privateEndpoints,
        tags,
      },
      this,
    );
    diagnosticSetting(`${name}-workspace`, workspace.id, args.diagnosticSettings, this);
    // No management lock on the workspace itself: a CanNotDelete lock applies to its child resources, so the
    // release procedure's `az ml online-deployment delete` (docs/ml-operations.md) and any replacement of the
    // cluster or endpoint would be refused, and Microsoft asks for locks to be lifted before deleting Azure ML
    // resources (how-to-managed-network.md, Limitations). Yet its deletion is permanent and takes what only it holds:
    // soft delete "is not supported when a workspace uses only user-assigned managed identity" (concept-soft-delete),
    // and with a customer-managed key the job history, model registry and asset metadata live in Microsoft-managed
    // resources "deleted when you delete the associated workspace" (concept-customer-managed-keys); the model files
    // stay in its storage account. So in prod a denyAction policy refuses the workspace's own DELETE (and its
    // group's), which, unlike a lock, leaves its online deployments and compute deletable.
    if (protect)
      deleteGuard(
        `${name}-workspace`,
        {
          resource: workspace,
          armType: "Microsoft.MachineLearningServices/workspaces",
          definitionName: pulumi.interpolate`deny-delete-${workspace.name}`,
          definitionDisplayName: pulumi.interpolate`Deny deleting the Azure ML workspace ${workspace.name}`,
          definitionDescription:
            "Refuses DELETE of the Azure Machine Learning workspace it is assigned to (and of its resource group), " +
            "not of its online deployments or compute: a lock would refuse those too.",
          assignmentName: "deny-delete-ml-workspace",
          assignmentDisplayName: "Deny deleting the Azure ML workspace",
          why: "The workspace's deletion is permanent (no soft delete with user-assigned identities only) and takes its run history and model registry; a lock would refuse the release's deployment deletions.",
          message:
            "The Azure ML workspace cannot be deleted: remove this assignment in a reviewed change first (docs/ml-operations.md, Deletion protection).",
        },
        this,
      );
    const workspaceContributor = roleAssignment(
      `${name}-workspace`,
      workspace.id,
      {
        key: "workspace-contributor",
        principalId: this.workspaceIdentity.principalId,
        principalType: "ServicePrincipal",
        roleDefinitionId: BuiltInRoles.Contributor,
        description: "Azure ML manages its own workspace (Microsoft's table for a user-assigned workspace identity).",
      },
      this,
    );
    // The cluster and the endpoint are created by the service with the workspace identity: they wait until its
    // Contributor role on the workspace (scoped to it, so granted only once it exists) has propagated. No page says
    // creation checks it; a first deploy failing on an unpropagated role costs more than the wait, which runs while
    // the other tiers deploy.
    const workspaceRoleSettled = grantPropagation(
      `${name}-workspace-contributor-propagation`,
      workspaceContributor,
      this,
    );
    // A user-assigned endpoint identity gets no automatic role: Microsoft's list for it includes AzureML Metrics
    // Writer on the workspace ("there's no automatic role assignment … you need to manually assign roles",
    // machine-learning/concept-endpoints-online-auth.md), or the deployments cannot write their metrics. Deployments
    // are released after the deploy (docs/ml-operations.md), long after this grant has propagated.
    roleAssignment(
      `${name}-workspace`,
      workspace.id,
      {
        key: "endpoint-metrics-writer",
        principalId: this.endpointIdentity.principalId,
        principalType: "ServicePrincipal",
        roleDefinitionId: BuiltInRoles.AzureMlMetricsWriter,
        description: "The scoring endpoint's deployments write their metrics to the workspace.",
      },
      this,
    );
    if (args.dataScientistsGroupId) {
      // AzureML Data Scientist without the workspace's network (teamRolePermissions): the built-in role would let the
      // team add outbound rules to the managed network or approve private endpoints to the workspace.
      const teamRole = customRole(
        `${name}-team-role`,
        {
          scope: args.resourceGroupId,
          idKey: "fraud-ml-data-scientist",
          roleName: `Fraud ML data scientist (${cfg.workload}-${cfg.environment})`,
          description:
            "AzureML Data Scientist on the fraud ML workspace without its network: no outbound rule, no private endpoint approval. Managed by Pulumi.",
          permissions: teamRolePermissions(),
        },
        this,
      );
      roleAssignment(
        `${name}-workspace`,
        workspace.id,
        {
          key: "fraud-ml-data-scientist",
          principalId: args.dataScientistsGroupId,
          principalType: "Group",
          roleDefinitionId: teamRole.assignableId,
          description:
            "The fraud/ML team trains, registers and deploys models (no compute, workspace or network admin).",
        },
        this,
      );
      // With shared keys off, `az ml job create` uploads the code snapshot and reads data assets with the user's
      // own token: "Data: datastores and datasets | User's identity | Storage Blob Data Contributor"
      // (machine-learning/how-to-disable-local-auth-storage.md, Scenarios for role assignments).
      roleAssignment(
        `${name}-st`,
        st.id,
        {
          key: "fraud-ml-blob",
          principalId: args.dataScientistsGroupId,
          principalType: "Group",
          roleDefinitionId: BuiltInRoles.StorageBlobDataContributor,
          description: "The fraud/ML team uploads job code snapshots and reads data assets with its own identity.",
        },
        this,
      );
    }
    roleAssignments(`${name}-workspace`, workspace.id, args.roleAssignments, this);
    // "If the workspace associated Azure storage account has public network access disabled, ensure the private
    // endpoint created in the client virtual network is granted the Reader role to your workspace managed identity"
    // (machine-learning/how-to-managed-network.md): studio data access goes through those endpoints.
    for (const [kind, endpointId] of Object.entries(st.endpointIds))
      roleAssignment(
        `${name}-st-pep-${kind}`,
        endpointId,
        {
          key: "workspace-reader",
          principalId: this.workspaceIdentity.principalId,
          principalType: "ServicePrincipal",
          roleDefinitionId: BuiltInRoles.Reader,
          description: "The ML workspace identity reads the storage's private endpoint (studio data access).",
        },
        this,
      );

    const cluster = new ml.Compute(
      `${name}-cluster`,
      {
        computeName: TRAINING_CLUSTER_NAME,
        workspaceName: workspace.name,
        resourceGroupName: rg,
        location: cfg.location,
        identity: {
          type: ml.ManagedServiceIdentityType.UserAssigned,
          userAssignedIdentities: [this.computeIdentity.id],
        },
        properties: trainingCluster(args.ml.compute),
        tags,
      },
      // After the workspace's private endpoint as well (its connection is a workspace update), as Azure Verified
      // Modules' workspace module orders computes (avm/res/machine-learning-services/workspace). What a PUT cannot
      // change (`CLUSTER_CREATION_ONLY`: size, priority, scale settings) replaces it, deleting first (its name is
      // fixed). It holds no state: jobs running on it at that moment fail and are submitted again.
      {
        parent: this,
        dependsOn: [workspaceRoleSettled, workspaceEndpoint],
        replaceOnChanges: CLUSTER_CREATION_ONLY,
        deleteBeforeReplace: true,
      },
    );

    const scoringEndpointName = args.suffix.apply((s) => endpointName(cfg.workload, cfg.environment, s));
    // Deployments and their traffic split are released by the ML pipeline (az ml online-deployment), not here: the
    // endpoint carries the split live in Azure on every update (traffic.ts).
    const split = liveTraffic(pulumi.all([scoringEndpointName, context.name("mlWorkspace"), pulumi.output(rg)]), this);
    const endpoint = new ml.OnlineEndpoint(
      `${name}-endpoint`,
      {
        endpointName: scoringEndpointName,
        workspaceName: workspace.name,
        resourceGroupName: rg,
        location: cfg.location,
        identity: {
          type: ml.ManagedServiceIdentityType.UserAssigned,
          userAssignedIdentities: [this.endpointIdentity.id],
        },
        // During a new stack's first preview the name is unknown and nothing is read, so `properties` is unknown as a
        // whole (azure-native applies the type's defaults to it through an apply): the pack's endpoint rules then
        // decide once deployed (the offline preview's deployed view, the `up`), as the names' other readers do.
        properties: split.apply((live) => ({ ...scoringEndpointProperties(), ...live })),
        tags,
      },
      { parent: this, dependsOn: [workspaceRoleSettled, workspaceEndpoint] },
    );
    diagnosticSetting(`${name}-endpoint`, endpoint.id, args.diagnosticSettings, this);

    const invokerRole = customRole(
      `${name}-scoring-role`,
      {
        scope: args.resourceGroupId,
        idKey: "fraud-scoring-invoker",
        roleName: `Fraud scoring invoker (${cfg.workload}-${cfg.environment})`,
        description: "Calls the fraud-scoring online endpoints (score/action) with an Entra token, nothing else.",
        permissions: scoringRolePermissions(),
      },
      this,
    );

    this.workspaceName = workspace.name;
    this.workspaceId = workspace.id;
    this.storageAccountName = st.name;
    this.keyVaultName = kv.name;
    this.containerRegistryName = cr.name;
    this.applicationInsightsId = appi.id;
    this.computeClusterName = cluster.name;
    this.scoringEndpoint = {
      name: endpoint.name,
      id: endpoint.id,
      scoringUri: endpoint.properties.apply((p) => p.scoringUri ?? ""),
      // Assignments use the role once it has replicated, by its subscription-level id (customRole): an assignment
      // made right away can fail with RoleDefinitionDoesNotExist, and Azure reads assignments back with that id, so
      // the group-scoped one would diff on every refresh.
      invokerRoleDefinitionId: invokerRole.assignableId,
      deployment: { instanceType: args.ml.endpoint.instanceType, instanceCount: args.ml.endpoint.instanceCount },
    };
    for (const p of args.scoringPrincipals ?? []) this.grantScoring(p);

    this.registerOutputs({
      workspaceName: this.workspaceName,
      workspaceId: this.workspaceId,
      scoringEndpointId: this.scoringEndpoint.id,
      scoringUri: this.scoringEndpoint.scoringUri,
      scoringRoleDefinitionId: this.scoringEndpoint.invokerRoleDefinitionId,
    });
  }

  /**
   * Lets an identity call the fraud-scoring endpoint and nothing else: the custom invoker role (score/action only)
   * on the endpoint itself. Deterministic name (UUIDv5 of scope + principal + role); a child of this component.
   */
  grantScoring(principal: ScoringPrincipal): authorization.RoleAssignment {
    return roleAssignment(
      `${this.componentName}-endpoint`,
      this.scoringEndpoint.id,
      {
        key: `${principal.key}-scoring`,
        principalId: principal.principalId,
        principalType: principal.principalType ?? "ServicePrincipal",
        roleDefinitionId: this.scoringEndpoint.invokerRoleDefinitionId,
        description: `Lets ${principal.key} call the fraud-scoring endpoint (score/action only).`,
      },
      this,
    );
  }
}
