/**
 * Azure Data Factory (ETL): private access, a customer-managed key, Git integration, credentials kept in Key Vault
 * rather than inline in linked services, managed identities for Azure data stores, and managed integration
 * runtimes inside the factory's managed virtual network (catalogue rows 35–40); linked services on a named
 * (managed-VNet) runtime, encrypted SQL connections, and pipelines without inline secrets (the ETL tier).
 *
 * azure-native flattens a linked service's ARM `typeProperties` into `properties` (e.g. `properties.password`,
 * `properties.connectionString`); the rules read both shapes.
 */
import type * as datafactory from "@pulumi/azure-native/datafactory";
import type { Policies, PolicyResource } from "@pulumi/policy";
import { enforcedAssignments, ofType, recordedDependency, resourcePolicy, sameValue, stackPolicy } from "../lib/policy";
import { inScopeKnob, isProdStack, prodStacksKnob, skipOutOfScope } from "../lib/scope";
import { presence, requireKnown, safeGet, show, valueAt, who } from "../lib/values";
import { secretName } from "../lib/secrets";

const FACTORY = "azure-native:datafactory:Factory";
const LINKED_SERVICE = "azure-native:datafactory:LinkedService";
const DOCS = "https://learn.microsoft.com/azure/data-factory";

/**
 * What a SQL connection string turns off: encryption (`Encrypt=False`, `No`, `Optional`) or the server certificate's
 * validation (`TrustServerCertificate=True`), which lets a man in the middle read the session (SqlClient's keywords).
 */
export function sqlConnectionWeaknesses(cs: string): string[] {
  return [
    ...(/(^|;)\s*encrypt\s*=\s*(false|no|optional)\s*(;|$)/i.test(cs) ? ["Encrypt=False"] : []),
    ...(/(^|;)\s*trustservercertificate\s*=\s*(true|yes)\s*(;|$)/i.test(cs) ? ["TrustServerCertificate=True"] : []),
  ];
}

export const factoryPublicNetwork = resourcePolicy<datafactory.FactoryArgs>(
  {
    name: "azure-native-datafactory-factory-disallow-public-network-access",
    description:
      "Every Data Factory has public network access disabled; authoring and the integration runtimes reach it through private endpoints.",
    severity: "high",
    pci: ["1.3.1", "1.4.4"],
    gdpr: ["25"],
    soc2: ["CC6.6"],
    service: "datafactory",
    remediationSteps:
      'Set `publicNetworkAccess` to "Disabled" and add private endpoints for the `dataFactory` and `portal` group ids.',
    url: `${DOCS}/data-factory-private-link`,
  },
  FACTORY,
  (props, args, report) => {
    // Absent ⇒ violation: the service default is "Enabled".
    if (props.publicNetworkAccess !== "Disabled") {
      report(
        `${who(args)} allows public network access (publicNetworkAccess ${show(props.publicNetworkAccess)}): set publicNetworkAccess to "Disabled" and reach it through private endpoints.`,
      );
    }
  },
);

export const factoryCmk = resourcePolicy<datafactory.FactoryArgs>(
  {
    name: "azure-native-datafactory-factory-require-customer-managed-key",
    description:
      "Every in-scope Data Factory encrypts its metadata (linked services, pipelines, credentials) with a customer-managed Key Vault key.",
    severity: "high",
    pci: ["3.5.1", "3.6.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "datafactory",
    remediationSteps:
      'Set `encryption` to `{ vaultBaseUrl, keyName, identity: { userAssignedIdentity: <identity id> } }` and `identity` to `{ type: "UserAssigned", userAssignedIdentities: { <identity id>: {} } }` when the factory is created.',
    url: `${DOCS}/enable-customer-managed-key`,
    config: { inScopeTagValues: inScopeKnob() },
  },
  FACTORY,
  (props, args, report) => {
    skipOutOfScope(props, args);
    // Vault URL and key name are usually Outputs of the vault/key (unknown in preview): presence is enough.
    const missing = (["vaultBaseUrl", "keyName"] as const).filter((k) => presence(props, "encryption", k) === "absent");
    if (missing.length > 0) {
      report(
        `${who(args)} has no customer-managed key (encryption.${missing.join(", encryption.")} unset): set encryption.vaultBaseUrl and encryption.keyName.`,
      );
    }
    // encryption.identity absent ⇒ the factory's system-assigned identity is used, so the factory needs one.
    if (presence(props, "identity", "type") === "absent") {
      report(
        `${who(args)} has no managed identity to reach its key: set identity.type to "UserAssigned" (or "SystemAssigned") and encryption.identity.userAssignedIdentity.`,
      );
    }
  },
);

export const factoryRepoConfiguration = resourcePolicy<datafactory.FactoryArgs>(
  {
    name: "azure-native-datafactory-factory-require-repo-configuration",
    description:
      "Every non-production Data Factory is connected to a Git repository, so pipeline changes are versioned and reviewed before they are published.",
    severity: "low",
    pci: ["6.5.1", "6.5.2"],
    soc2: ["CC8.1"],
    service: "datafactory",
    remediationSteps:
      "Set `repoConfiguration` to a `FactoryVSTSConfiguration` or `FactoryGitHubConfiguration` (collaborationBranch, rootFolder, repositoryName) with `disablePublish: true`; production factories are deployed by CI and need none.",
    url: `${DOCS}/source-control`,
    enforcementLevel: "advisory",
    config: { prodStacks: prodStacksKnob() },
  },
  FACTORY,
  (props, args, report) => {
    // Microsoft's CI/CD guidance: only the development factory is Git-integrated; test/prod are published by CI.
    if (isProdStack(args)) args.notApplicable("production factories are published by CI/CD, not Git-integrated");
    if (presence(props, "repoConfiguration") === "absent") {
      report(
        `${who(args)} is not under version control: set repoConfiguration to a FactoryGitHubConfiguration or FactoryVSTSConfiguration.`,
      );
    }
  },
);

/** Linked service properties that hold credentials (SecretBase fields across the azure-native v3 types). */
export const SECRET_KEYS = [
  "password",
  "pwd",
  "accountKey",
  "accessKey",
  "sasToken",
  "servicePrincipalKey",
  "servicePrincipalCredential",
  "servicePrincipalEmbeddedCert",
  "servicePrincipalEmbeddedCertPassword",
  "clientSecret",
  "clientKey",
  "accessToken",
  "accessTokenSecret",
  "apiToken",
  "apiKey",
  "refreshToken",
  "secretAccessKey",
  "secretKey",
  "sessionToken",
  "securityToken",
  "userToken",
  "privateKey",
  "privateKeyContent",
  "privateKeyPassphrase",
  "passPhrase",
  "keyFileContent",
  "key",
  "functionKey",
  "developerToken",
  "mwsAuthToken",
  "credString",
  "consumerKey",
  "consumerSecret",
  "clusterPassword",
  "clusterSshPassword",
  "credential",
];

/** Keys/markers in a connection string or SAS URI that mean a credential is embedded in it. */
const EMBEDDED_SECRET = /(^|;)\s*(password|pwd|accountkey|sharedaccesskey|sharedaccesssignature)\s*=|[?&]sig=/i;

/** The linked service's settings: azure-native's flattened `properties`, plus ARM-shaped `typeProperties`. */
function settingsOf(props: unknown): Record<string, unknown>[] {
  const properties = valueAt(props, "properties");
  if (properties === null || typeof properties !== "object") return [];
  const nested = safeGet(properties, "typeProperties");
  return [
    properties as Record<string, unknown>,
    ...(nested && typeof nested === "object" ? [nested as Record<string, unknown>] : []),
  ];
}

/** A path of keys as the messages print it: `a.b[0].c` (array indexes in brackets). */
function pathText(root: string, keys: readonly string[], arrays: readonly boolean[]): string {
  let out = root;
  keys.forEach((k, i) => (out += arrays[i] ? `[${k}]` : `.${k}`));
  return out;
}

/**
 * One walk of `value` (keys read through `safeGet`, so values unknown during preview are skipped) collecting the paths
 * of inline `SecureString` values (and SecureString parameters with a default) up to `secureDepth` levels down, and,
 * with `authentication`, of plain-string credentials in `authentication` objects (Web, WebHook, Azure Function) up to
 * 12 levels. Paths are built only for what is found: a generated pipeline has thousands of nodes.
 */
function inlineSecrets(
  value: unknown,
  root: string,
  out: string[],
  { secureDepth = 8, authentication = false }: { secureDepth?: number; authentication?: boolean } = {},
): void {
  const keys: string[] = [];
  const arrays: boolean[] = [];
  const maxDepth = authentication ? Math.max(secureDepth, 12) : secureDepth;
  const walk = (node: unknown, depth: number, secure: boolean): void => {
    if (node === null || typeof node !== "object" || depth > maxDepth) return;
    const scanSecure = secure && depth <= secureDepth;
    if (
      scanSecure &&
      safeGet(node, "type") === "SecureString" &&
      (presence(node, "value") !== "absent" || presence(node, "defaultValue") !== "absent")
    ) {
      out.push(pathText(root, keys, arrays));
      // Nothing below a SecureString counts for the SecureString scan; the authentication scan still walks it.
      if (!authentication) return;
      secure = false;
    }
    const isArray = Array.isArray(node);
    for (const key of Object.keys(node)) {
      const child = safeGet(node, key);
      keys.push(key);
      arrays.push(isArray);
      if (authentication && key === "authentication" && child && typeof child === "object") {
        for (const k of ACTIVITY_SECRET_KEYS)
          if (typeof safeGet(child, k) === "string") out.push(`${pathText(root, keys, arrays)}.${k}`);
      }
      walk(child, depth + 1, secure && scanSecure);
      keys.pop();
      arrays.pop();
    }
  };
  walk(value, 0, true);
}

export const linkedServiceInlineSecrets = resourcePolicy<datafactory.LinkedServiceArgs>(
  {
    name: "azure-native-datafactory-linkedservice-disallow-inline-secrets",
    description:
      "No Data Factory linked service carries a password, key, token or credential-bearing connection string inline; secrets are AzureKeyVaultSecret references.",
    severity: "critical",
    pci: ["8.6.2", "3.6.1"],
    gdpr: ["32"],
    soc2: ["CC6.1"],
    service: "datafactory",
    remediationSteps:
      'Replace each inline secret with `{ type: "AzureKeyVaultSecret", store: { referenceName: <Key Vault linked service>, type: "LinkedServiceReference" }, secretName }`, keep credentials out of `connectionString`, or use a managed identity.',
    url: `${DOCS}/store-credentials-in-key-vault`,
  },
  LINKED_SERVICE,
  (props, args, report) => {
    // Unknown during preview: undecided, never passed on settings it could not see.
    if (presence(props, "properties") === "unknown") requireKnown(props, "properties");
    const found = new Set<string>();
    for (const [i, settings] of settingsOf(props).entries()) {
      const base = i === 0 ? "properties" : "properties.typeProperties";
      // 1. SecureString objects anywhere (including `parameters` with a SecureString default).
      const secure: string[] = [];
      inlineSecrets(settings, base, secure);
      secure.forEach((p) => found.add(p));
      // 2. Plain strings in credential fields (some are typed `any` in the SDK).
      for (const key of SECRET_KEYS) {
        if (typeof safeGet(settings, key) === "string") found.add(`${base}.${key}`);
      }
    }
    if (found.size > 0) {
      report(
        `${who(args)} has inline secrets at ${[...found].join(", ")}: replace them with AzureKeyVaultSecret references (type "AzureKeyVaultSecret", store, secretName) or use a managed identity.`,
      );
    }
    // 3. Credentials embedded in connection strings / SAS URIs. Read last and through the proxy: a connection
    // string built from other resources' outputs is unknown in preview and yields the engine's advisory.
    for (const [i, settings] of settingsOf(props).entries()) {
      const base = i === 0 ? "properties" : "properties.typeProperties";
      for (const key of ["connectionString", "sasUri"]) {
        if (!(key in settings)) continue;
        const value = settings[key];
        if (typeof value === "string" && EMBEDDED_SECRET.test(value)) {
          report(
            `${who(args)} embeds a credential in ${base}.${key}: remove it from the string and reference an AzureKeyVaultSecret (or use a managed identity).`,
          );
        }
      }
    }
    // 4. A credential field whose value is unknown during preview (a generated password, or a reference built from
    // outputs): undecided rather than passed, unless a known inline secret already decided it.
    if (found.size === 0)
      for (const settings of settingsOf(props))
        for (const key of SECRET_KEYS) if (presence(settings, key) === "unknown") requireKnown(settings, key);
  },
);

/** Linked service types that support managed identity authentication to Azure data stores. */
export const IDENTITY_CAPABLE_TYPES = [
  "AzureSqlDatabase",
  "AzureSqlDW",
  "AzureSqlMI",
  "AzureBlobStorage",
  "AzureBlobFS",
  "AzureDataLakeStore",
  "CosmosDb",
  "AzureDataExplorer",
  "AzureKeyVault",
  "AzureSynapseArtifacts",
];

/** authenticationType values that are managed identities. */
const IDENTITY_AUTH = ["SystemAssignedManagedIdentity", "UserAssignedManagedIdentity", "Msi", "ManagedIdentity"];
/** Credential fields whose presence means the linked service does not use a managed identity. */
const NON_IDENTITY_CREDENTIALS = [
  "password",
  "accountKey",
  "sasUri",
  "sasToken",
  "servicePrincipalId",
  "servicePrincipalKey",
  "servicePrincipalCredential",
  "userName",
];

export const linkedServiceManagedIdentity = resourcePolicy<datafactory.LinkedServiceArgs>(
  {
    name: "azure-native-datafactory-linkedservice-require-managed-identity",
    description:
      "Data Factory linked services to Azure SQL, Synapse, Storage, Cosmos DB and Key Vault authenticate with the factory's managed identity instead of keys, passwords or service principal secrets.",
    severity: "medium",
    pci: ["8.6.1", "8.6.3"],
    gdpr: ["32"],
    soc2: ["CC6.1"],
    service: "datafactory",
    remediationSteps:
      'Remove password/key/service principal settings and set `authenticationType` to "SystemAssignedManagedIdentity" (SQL) or "Msi" (Storage), or a `credential` reference to a user-assigned identity credential.',
    url: `${DOCS}/data-factory-service-identity`,
    // Mandatory, like the Stream Analytics input/output rules: a key, password or service principal secret in a
    // linked service is the credential the platform's posture (managed identities only) rules out.
    config: {
      identityCapableTypes: {
        type: "array",
        items: { type: "string" },
        default: IDENTITY_CAPABLE_TYPES,
        description: "Linked service `properties.type` values the rule checks.",
      },
    },
  },
  LINKED_SERVICE,
  (props, args, report) => {
    const { identityCapableTypes } = args.getConfig<{ identityCapableTypes: string[] }>();
    const type = valueAt(props, "properties", "type");
    if (typeof type !== "string" || !identityCapableTypes.includes(type)) {
      args.notApplicable(`linked service type ${show(type)} is not in identityCapableTypes`);
    }
    const problems: string[] = [];
    for (const [i, settings] of settingsOf(props).entries()) {
      const base = i === 0 ? "properties" : "properties.typeProperties";
      // authenticationType absent ⇒ the connector's default, which is the managed identity when no other
      // credential is given (checked below).
      const auth = safeGet(settings, "authenticationType");
      if (typeof auth === "string" && !IDENTITY_AUTH.includes(auth))
        problems.push(`${base}.authenticationType "${auth}"`);
      for (const key of NON_IDENTITY_CREDENTIALS) {
        if (presence(settings, key) !== "absent") problems.push(`${base}.${key}`);
      }
      const cs = safeGet(settings, "connectionString");
      if (typeof cs === "string" && EMBEDDED_SECRET.test(cs)) problems.push(`${base}.connectionString credentials`);
    }
    if (problems.length > 0) {
      report(
        `${who(args)} authenticates without a managed identity (${problems.join(", ")}): remove them and set authenticationType to "SystemAssignedManagedIdentity" (or "Msi" for Storage) or a credential reference to a user-assigned identity.`,
      );
    }
  },
);

export const integrationRuntimeManagedVnet = resourcePolicy<datafactory.IntegrationRuntimeArgs>(
  {
    name: "azure-native-datafactory-integrationruntime-require-managed-virtual-network",
    description:
      "Every Azure (managed) integration runtime runs inside the factory's managed virtual network, and every Azure-SSIS runtime joins a virtual network, so data movement uses private endpoints.",
    severity: "high",
    // Inbound and private paths only: the managed VNet leaves every port open outbound (1.3.2 is the allow-list's,
    // azure-native-datafactory-factory-require-outbound-allow-list).
    pci: ["1.3.1"],
    gdpr: ["25"],
    soc2: ["CC6.6"],
    service: "datafactory",
    remediationSteps:
      'Set `properties.managedVirtualNetwork` to `{ referenceName: "default", type: "ManagedVirtualNetworkReference" }` (the factory\'s managed VNet), or for Azure-SSIS `properties.computeProperties.vNetProperties.subnetId` / `properties.customerVirtualNetwork.subnetId`.',
    url: `${DOCS}/managed-virtual-network-private-endpoint`,
  },
  "azure-native:datafactory:IntegrationRuntime",
  (props, args, report) => {
    // A type unknown during preview: undecided, not "not applicable".
    if (presence(props, "properties", "type") === "unknown") requireKnown(props, "properties", "type");
    const type = valueAt(props, "properties", "type");
    if (type !== "Managed") {
      args.notApplicable(`integration runtime type ${show(type)} is not a managed (Azure) integration runtime`);
    }
    const inManagedVnet =
      presence(props, "properties", "managedVirtualNetwork", "referenceName") !== "absent" &&
      (presence(props, "properties", "managedVirtualNetwork", "type") === "unknown" ||
        valueAt(props, "properties", "managedVirtualNetwork", "type") === "ManagedVirtualNetworkReference");
    const vnetJoined =
      presence(props, "properties", "computeProperties", "vNetProperties", "subnetId") !== "absent" ||
      (presence(props, "properties", "computeProperties", "vNetProperties", "vNetId") !== "absent" &&
        presence(props, "properties", "computeProperties", "vNetProperties", "subnet") !== "absent") ||
      presence(props, "properties", "customerVirtualNetwork", "subnetId") !== "absent";
    const ssis = presence(props, "properties", "ssisProperties") !== "absent";
    if (!inManagedVnet && !(ssis && vnetJoined)) {
      report(
        ssis
          ? `${who(args)} is an Azure-SSIS runtime outside any virtual network: set properties.managedVirtualNetwork to { referenceName: "default", type: "ManagedVirtualNetworkReference" } or properties.computeProperties.vNetProperties.subnetId.`
          : `${who(args)} runs outside the factory's managed virtual network: set properties.managedVirtualNetwork to { referenceName: "default", type: "ManagedVirtualNetworkReference" }.`,
      );
    }
  },
);

/** The runtime every factory has, outside any managed virtual network (unless the factory redeclares it there). */
const DEFAULT_RUNTIME = "AutoResolveIntegrationRuntime";

/** What the two linked-service runtime rules share: the network controls they enforce and where they are documented. */
const RUNTIME_RULE = {
  severity: "high",
  pci: ["1.3.1", "1.4.4"],
  gdpr: ["25", "32"],
  soc2: ["CC6.6"],
  service: "datafactory",
  url: `${DOCS}/managed-virtual-network-private-endpoint`,
} as const;

/** Linked service types that cannot name an integration runtime (Key Vault is reached by the factory itself). */
const NO_RUNTIME_TYPES = ["AzureKeyVault"];

export const linkedServiceIntegrationRuntime = resourcePolicy<datafactory.LinkedServiceArgs>(
  {
    name: "azure-native-datafactory-linkedservice-require-integration-runtime",
    description:
      "Every Data Factory linked service names the integration runtime it runs on (connectVia), so data moves through the managed-VNet runtime and its managed private endpoints, never the factory's default public Azure runtime.",
    ...RUNTIME_RULE,
    remediationSteps:
      'Set `properties.connectVia` to `{ type: "IntegrationRuntimeReference", referenceName: <the Azure integration runtime in the factory\'s managed virtual network> }`.',
  },
  LINKED_SERVICE,
  (props, args, report) => {
    const type = valueAt(props, "properties", "type");
    if (typeof type === "string" && NO_RUNTIME_TYPES.includes(type)) {
      args.notApplicable(`a ${type} linked service has no integration runtime reference`);
    }
    if (presence(props, "properties", "connectVia", "referenceName") === "absent") {
      report(
        `${who(args)} names no integration runtime (properties.connectVia unset): it runs on the factory's default Azure integration runtime, outside the managed virtual network; set properties.connectVia to the managed-VNet integration runtime.`,
      );
    }
  },
);

/** SQL-family linked service types (TDS connections). */
export const SQL_LINKED_SERVICE_TYPES = ["AzureSqlDatabase", "AzureSqlDW", "AzureSqlMI", "SqlServer"];
/** `encrypt` values that let the connection go unencrypted. */
const WEAK_ENCRYPT = ["optional", "false", "no"];

export const linkedServiceEncryptedSql = resourcePolicy<datafactory.LinkedServiceArgs>(
  {
    name: "azure-native-datafactory-linkedservice-require-encrypted-sql-connection",
    description:
      "Data Factory linked services to Azure SQL, Synapse, SQL Managed Instance and SQL Server require TLS encryption and validate the server certificate.",
    severity: "high",
    pci: ["4.2.1", "2.2.7"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.7"],
    service: "datafactory",
    remediationSteps:
      'Leave `encrypt` unset or set it to "mandatory" (or "strict"), leave `trustServerCertificate` unset or false, and keep `Encrypt=False` / `TrustServerCertificate=True` out of any connection string.',
    url: `${DOCS}/connector-azure-sql-database`,
  },
  LINKED_SERVICE,
  (props, args, report) => {
    // A type unknown during preview: undecided, not "not applicable".
    if (presence(props, "properties", "type") === "unknown") requireKnown(props, "properties", "type");
    const type = valueAt(props, "properties", "type");
    if (typeof type !== "string" || !SQL_LINKED_SERVICE_TYPES.includes(type)) {
      args.notApplicable(`linked service type ${show(type)} is not a SQL connection`);
    }
    const problems: string[] = [];
    for (const [i, settings] of settingsOf(props).entries()) {
      const base = i === 0 ? "properties" : "properties.typeProperties";
      const encrypt = safeGet(settings, "encrypt");
      if (encrypt === false || (typeof encrypt === "string" && WEAK_ENCRYPT.includes(encrypt.toLowerCase())))
        problems.push(`${base}.encrypt ${show(encrypt)}`);
      const trust = safeGet(settings, "trustServerCertificate");
      if (trust === true || (typeof trust === "string" && trust.toLowerCase() === "true"))
        problems.push(`${base}.trustServerCertificate ${show(trust)}`);
      const cs = safeGet(settings, "connectionString");
      if (typeof cs === "string")
        problems.push(...sqlConnectionWeaknesses(cs).map((w) => `${base}.connectionString ${w}`));
    }
    if (problems.length > 0) {
      report(
        `${who(args)} allows an unencrypted or unverified SQL connection (${problems.join(", ")}): set encrypt to "mandatory" and trustServerCertificate to false.`,
      );
      return;
    }
    // A setting unknown during preview may still weaken the connection: undecided, not passed.
    for (const settings of settingsOf(props))
      for (const key of ["encrypt", "trustServerCertificate", "connectionString"])
        if (presence(settings, key) === "unknown") requireKnown(settings, key);
  },
);

/** Activity authentication fields that hold a credential when given as a plain string. */
const ACTIVITY_SECRET_KEYS = ["password", "pfx", "servicePrincipalKey", "clientSecret", "key", "accessToken"];

export const pipelineInlineSecrets = resourcePolicy<datafactory.PipelineArgs>(
  {
    name: "azure-native-datafactory-pipeline-disallow-inline-secrets",
    description:
      "No Data Factory pipeline carries a secret inline: no SecureString value or default in its parameters, variables or activities, and no password, certificate or key in an activity's authentication (Web, WebHook, Azure Function); activities authenticate with a managed identity credential or a Key Vault reference.",
    severity: "critical",
    pci: ["8.6.2", "3.6.1"],
    gdpr: ["32"],
    soc2: ["CC6.1"],
    service: "datafactory",
    remediationSteps:
      'Use `authentication: { type: "UserAssignedManagedIdentity", credential: { referenceName, type: "CredentialReference" }, resource }` (or "MSI"), or an AzureKeyVaultSecret reference; declare secret parameters without a default and pass them at run time.',
    url: `${DOCS}/control-flow-web-activity`,
  },
  "azure-native:datafactory:Pipeline",
  (props, args, report) => {
    const found: string[] = [];
    for (const key of ["parameters", "variables", "activities"]) {
      // Unknown during preview: undecided, never passed on what it could not see.
      if (presence(props, key) === "unknown") requireKnown(props, key);
      inlineSecrets(safeGet(props, key), key, found, { authentication: true });
    }
    if (found.length > 0) {
      report(
        `${who(args)} has inline secrets at ${[...new Set(found)].join(", ")}: authenticate activities with a managed identity credential (or an AzureKeyVaultSecret reference) and pass secret parameters at run time.`,
      );
    }
  },
);

const INTEGRATION_RUNTIME = "azure-native:datafactory:IntegrationRuntime";

const text = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : undefined);

/** The factory part of a Data Factory child's id (`…/factories/<name>`), lower-cased, when the id is known. */
function factoryIdOf(r: PolicyResource): string | undefined {
  const id = text(safeGet(r.props, "id"));
  return id === undefined ? undefined : /^(.*\/factories\/[^/]+)\//.exec(id)?.[1];
}

/**
 * Whether two Data Factory children are in the same factory: by their ids once deployed (`factoryName` is part of
 * their path, not an output), else their `factoryName` where visible, else the factories their `factoryName` was
 * taken from. Nothing to tell them apart counts as the same factory.
 */
function sameFactory(a: PolicyResource, b: PolicyResource): boolean {
  const [ia, ib] = [factoryIdOf(a), factoryIdOf(b)];
  if (ia !== undefined && ib !== undefined) return ia === ib;
  return sameValue(a, b, "factoryName");
}

export const linkedServiceDeclaredRuntime = stackPolicy(
  {
    name: "azure-native-datafactory-linkedservice-require-declared-integration-runtime",
    description:
      "Every Data Factory linked service runs on an integration runtime the stack declares in the same factory (which the runtime rule keeps in the managed virtual network): naming the factory's built-in AutoResolveIntegrationRuntime without redeclaring it in the managed VNet is the default public runtime.",
    ...RUNTIME_RULE,
    remediationSteps:
      "Declare the runtime (`datafactory.IntegrationRuntime` with `properties.managedVirtualNetwork` set) in the same factory, and set each linked service's `properties.connectVia.referenceName` to its name.",
  },
  (args, report) => {
    const runtimes = ofType(args.resources, INTEGRATION_RUNTIME);
    // A linked service whose properties take a declared runtime's name output (`referenceName: runtime.name`) runs on
    // that runtime, known or not during preview.
    const wiredTo = (l: PolicyResource) =>
      runtimes.filter((r) => (l.propertyDependencies["properties"] ?? []).some((d) => d.urn === r.urn));
    const referenceState = (l: PolicyResource) => presence(l.props, "properties", "connectVia", "referenceName");
    const linked = ofType(args.resources, LINKED_SERVICE).filter(
      (l) =>
        typeof valueAt(l.props, "properties", "connectVia", "referenceName") === "string" ||
        (referenceState(l) === "unknown" && wiredTo(l).length > 0),
    );
    if (linked.length === 0) args.notApplicable("no linked service names a runtime (known during preview)");
    for (const l of linked) {
      if (referenceState(l) === "unknown") {
        // Wired to a runtime of the stack: it names that one, so it must be in the same factory.
        if (wiredTo(l).some((r) => sameFactory(l, r))) continue;
        report(
          `${who(l)} runs on a runtime of another factory: name a runtime the stack declares in its own factory.`,
          l.urn,
        );
        continue;
      }
      const name = text(valueAt(l.props, "properties", "connectVia", "referenceName"));
      let undecided: PolicyResource | undefined;
      const declared = runtimes.some((r) => {
        if (!sameFactory(l, r)) return false;
        // The runtime's name: its `name` output (`integrationRuntimeName` is part of its path, not an output), else
        // its input where visible. Unknown during a first preview: only a linked service whose `properties` take
        // the runtime's name (a property dependency) is known to name it; otherwise the rule cannot decide yet.
        const rName = text(safeGet(r.props, "name")) ?? text(safeGet(r.props, "integrationRuntimeName"));
        if (rName !== undefined) return rName === name;
        if ((l.propertyDependencies["properties"] ?? []).some((d) => d.urn === r.urn)) return true;
        if (presence(r.props, "name") === "unknown") undecided = r;
        return false;
      });
      // "Can't run during preview" (the engine's unknown-value error), never a pass on a runtime it cannot name.
      if (!declared && undecided) void (undecided.props as Record<string, unknown>).name;
      if (!declared) {
        report(
          `${who(l)} runs on '${String(valueAt(l.props, "properties", "connectVia", "referenceName"))}', which the stack does not declare in its factory${
            name === DEFAULT_RUNTIME.toLowerCase() ? " (the factory's built-in public Azure integration runtime)" : ""
          }: declare that runtime in the managed virtual network, or name the one the stack declares.`,
          l.urn,
        );
      }
    }
  },
);

/** Data Factory's outbound allow-list: "[Preview]: Azure Data Factory pipelines should only communicate with allowed domains". */
const OUTBOUND_ALLOW_LIST_DEFINITION = "3d02a511-74e5-4dab-a5fd-878704d4a61a";

/** Whether assignment `a`'s scope holds `factory`: the factory, its resource group or subscription (ids or, unknown, the recorded dependency). */
function scopeHolds(a: PolicyResource, factory: PolicyResource): boolean {
  const scope = valueAt(a.props, "scope");
  const id = safeGet(factory.props, "id");
  if (typeof scope === "string" && typeof id === "string") {
    const s = scope.toLowerCase().replace(/\/+$/, "");
    return id.toLowerCase() === s || id.toLowerCase().startsWith(`${s}/`);
  }
  return recordedDependency(a, factory, "scope");
}

export const factoryOutboundAllowList = stackPolicy(
  {
    name: "azure-native-datafactory-factory-require-outbound-allow-list",
    description:
      "Every Data Factory is under an enforced assignment of Data Factory's outbound allow-list (the built-in '[Preview]: Azure Data Factory pipelines should only communicate with allowed domains'): its managed virtual network opens every port outbound, so without it a pipeline can send data to any address.",
    severity: "high",
    pci: ["1.3.2"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.6"],
    service: "datafactory",
    remediationSteps:
      "Set `etl.outboundAllowList: true` (components/etl: assigns the built-in definition 3d02a511-74e5-4dab-a5fd-878704d4a61a, effect Deny, on the factory's resource group with the stores' host names), then switch on Outbound rules in ADF Studio (docs/etl.md, Outbound traffic).",
    url: `${DOCS}/configure-outbound-allow-list-azure-policy`,
    // A preview Microsoft enforces only once switched on in ADF Studio: advisory until a stack has tried it.
    enforcementLevel: "advisory",
  },
  (args, report) => {
    const factories = ofType(args.resources, FACTORY);
    if (factories.length === 0) args.notApplicable("no Data Factory in the stack");
    const guards = enforcedAssignments(args.resources).filter((a) =>
      String(safeGet(a.props, "policyDefinitionId") ?? "")
        .toLowerCase()
        .endsWith(`/${OUTBOUND_ALLOW_LIST_DEFINITION}`),
    );
    for (const f of factories)
      if (!guards.some((a) => scopeHolds(a, f)))
        report(
          `${who(f)} has no enforced outbound allow-list: its managed virtual network opens every port outbound, so a pipeline can copy data to any address; set etl.outboundAllowList (docs/etl.md, Outbound traffic).`,
          f.urn,
        );
  },
);

export const factoryGlobalParameterSecrets = resourcePolicy<datafactory.FactoryArgs>(
  {
    name: "azure-native-datafactory-factory-disallow-secret-global-parameters",
    description:
      "No Data Factory global parameter carries a password, key, token or credential-bearing connection string: global parameters are stored and shown in clear text (in the factory's JSON, the portal, and its Git repository when one is configured) and cannot be SecureString.",
    severity: "critical",
    pci: ["8.3.2", "8.6.2", "3.6.1"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "datafactory",
    remediationSteps:
      "Keep secrets out of `globalParameters`: put them in Key Vault and reference them from the linked service (`AzureKeyVaultSecret`), or use the factory's managed identity; a global parameter holds names and switches only.",
    url: `${DOCS}/author-global-parameters`,
  },
  FACTORY,
  (props, args, report) => {
    if (presence(props, "globalParameters") === "unknown") requireKnown(props, "globalParameters");
    const params = safeGet(props, "globalParameters");
    if (params === null || typeof params !== "object") args.notApplicable("the factory has no global parameters");
    const found: string[] = [];
    for (const name of Object.keys(params as object)) {
      if (presence(params, name, "value") === "unknown") requireKnown(params, name, "value");
      const value = valueAt(params, name, "value");
      const text = typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value);
      if (EMBEDDED_SECRET.test(text) || (secretName(name) && text !== "")) found.push(name);
    }
    if (found.length > 0) {
      report(
        `${who(args)} keeps a secret in global parameter(s) ${found.join(", ")}, stored in clear text: move it to Key Vault and reference it from the linked service, or use the factory's managed identity.`,
      );
    }
  },
);

export const datafactoryPolicies: Policies = [
  factoryPublicNetwork,
  factoryCmk,
  factoryRepoConfiguration,
  factoryOutboundAllowList,
  linkedServiceInlineSecrets,
  linkedServiceManagedIdentity,
  integrationRuntimeManagedVnet,
  linkedServiceIntegrationRuntime,
  linkedServiceDeclaredRuntime,
  linkedServiceEncryptedSql,
  pipelineInlineSecrets,
  factoryGlobalParameterSecrets,
];
