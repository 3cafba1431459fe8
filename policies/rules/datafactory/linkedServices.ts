/**
 * Linked services: no inline secrets, managed identity authentication, a managed virtual network runtime, encrypted and verified SQL connections.
 */
import type * as datafactory from "@pulumi/azure-native/datafactory";
import { resourcePolicy } from "../../lib/policy";
import { presence, requireKnown, safeGet, show, valueAt, who } from "../../lib/values";
import {
  LINKED_SERVICE,
  DOCS,
  sqlConnectionWeaknesses,
  SECRET_KEYS,
  EMBEDDED_SECRET,
  settingsOf,
  inlineSecrets,
  RUNTIME_RULE,
  NO_RUNTIME_TYPES,
} from "./shared";

// ---------------------------------------------------------------------------------------------------------------
// Linked services
// ---------------------------------------------------------------------------------------------------------------

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
