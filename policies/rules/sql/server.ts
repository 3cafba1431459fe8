/**
 * The SQL server itself: minimal TLS, public network access, Entra-only authentication without SQL credentials, restricted outbound networking, a customer-managed key.
 */
import type * as sql from "@pulumi/azure-native/sql";
import { resourcePolicy, stringListKnob } from "../../lib/policy";
import { inScopeKnob, skipOutOfScope } from "../../lib/scope";
import { oneOf, presence, requireKnown, sameText, show, valueAt, who } from "../../lib/values";
import { SQL_SERVER, DOCS } from "./shared";

// ---------------------------------------------------------------------------------------------------------------
// sql.Server
// ---------------------------------------------------------------------------------------------------------------

export const sqlServerMinimalTls = resourcePolicy<sql.ServerArgs>(
  {
    name: "azure-native-sql-server-enforce-minimal-tls-version",
    description: "Every Azure SQL logical server refuses client connections below TLS 1.2.",
    severity: "high",
    pci: ["4.2.1", "2.2.7"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.7"],
    service: "sql",
    remediationSteps: 'Set `minimalTlsVersion` to "1.2" (or "1.3" when every client supports it).',
    url: `${DOCS}/connectivity-settings#minimal-tls-version`,
    config: {
      allowedVersions: stringListKnob("Accepted values of minimalTlsVersion.", ["1.2", "1.3"]),
    },
  },
  SQL_SERVER,
  (props, args, report) => {
    // Absent ⇒ violation: older API versions default to "None" (every TLS version accepted), so pin it.
    const { allowedVersions } = args.getConfig<{ allowedVersions: string[] }>();
    const version = props.minimalTlsVersion;
    if (version === undefined || !oneOf(version, allowedVersions)) {
      report(
        `${who(args)} has minimalTlsVersion ${show(version)}: set minimalTlsVersion to "${allowedVersions[0] ?? "1.2"}".`,
      );
    }
  },
);

export const sqlServerPublicNetwork = resourcePolicy<sql.ServerArgs>(
  {
    name: "azure-native-sql-server-disallow-public-network-access",
    description:
      "Every Azure SQL logical server has its public endpoint disabled and is reached only through a private endpoint.",
    severity: "critical",
    pci: ["1.3.1", "1.4.4"],
    gdpr: ["25", "32(1)(b)"],
    soc2: ["CC6.6"],
    service: "sql",
    remediationSteps:
      'Set `publicNetworkAccess` to "Disabled" and connect through a private endpoint (group id `sqlServer`, zone privatelink.database.windows.net).',
    url: `${DOCS}/connectivity-settings#deny-public-network-access`,
  },
  SQL_SERVER,
  (props, args, report) => {
    // Absent ⇒ violation: the service default is "Enabled". "SecuredByPerimeter" is not accepted either (the
    // endpoint stays public, governed by a network security perimeter the pack does not model).
    if (!sameText(props.publicNetworkAccess, "Disabled")) {
      report(
        `${who(args)} allows public network access (publicNetworkAccess ${show(props.publicNetworkAccess)}): set publicNetworkAccess to "Disabled" and reach it through a private endpoint.`,
      );
    }
  },
);

export const sqlServerEntraOnly = resourcePolicy<sql.ServerArgs>(
  {
    name: "azure-native-sql-server-require-entra-only-authentication",
    description:
      "Every Azure SQL logical server has a Microsoft Entra administrator and accepts Microsoft Entra authentication only.",
    severity: "critical",
    pci: ["8.2.2", "8.3.1", "8.6.2"],
    gdpr: ["32"],
    soc2: ["CC6.1"],
    service: "sql",
    remediationSteps:
      'Set `administrators` to `{ administratorType: "ActiveDirectory", azureADOnlyAuthentication: true, login, sid, tenantId, principalType: "Group" }` (an Entra group as admin).',
    url: `${DOCS}/authentication-azure-ad-only-authentication`,
    config: {
      allowedTenantIds: stringListKnob(
        "Entra tenant ids the administrator may come from; empty allows any tenant.",
        [],
      ),
    },
  },
  SQL_SERVER,
  (props, args, report) => {
    // `administrators` absent ⇒ violation: the server would be created with SQL authentication only. (A server
    // managed through separate ServerAzureADAdministrator/ServerAzureADOnlyAuthentication resources needs an
    // exemption; those resources are checked by their own rule.)
    if (presence(props, "administrators") === "absent") {
      report(
        `${who(args)} has no Entra administrator: set administrators with administratorType "ActiveDirectory" and azureADOnlyAuthentication true.`,
      );
      return;
    }
    const admins = props.administrators;
    // Unknown during preview: undecided (requireKnown), never passed.
    if (presence(admins, "azureADOnlyAuthentication") === "unknown") requireKnown(admins, "azureADOnlyAuthentication");
    if (presence(admins, "administratorType") === "unknown") requireKnown(admins, "administratorType");
    if (admins?.azureADOnlyAuthentication !== true) {
      report(
        `${who(args)} allows SQL authentication (administrators.azureADOnlyAuthentication ${show(admins?.azureADOnlyAuthentication)}): set administrators.azureADOnlyAuthentication to true.`,
      );
    }
    if (!sameText(admins?.administratorType, "ActiveDirectory")) {
      report(
        `${who(args)} has administrators.administratorType ${show(admins?.administratorType)}: set administrators.administratorType to "ActiveDirectory".`,
      );
    }
    const { allowedTenantIds } = args.getConfig<{ allowedTenantIds: string[] }>();
    const tenant = valueAt(admins, "tenantId");
    if (allowedTenantIds.length > 0 && typeof tenant === "string" && !oneOf(tenant, allowedTenantIds)) {
      report(
        `${who(args)} has an administrator from tenant ${tenant}: set administrators.tenantId to one of ${allowedTenantIds.join(", ")}.`,
      );
    }
  },
);

export const sqlServerNoSqlCredentials = resourcePolicy<sql.ServerArgs>(
  {
    name: "azure-native-sql-server-disallow-sql-admin-credentials",
    description:
      "No Azure SQL logical server is given a SQL administrator login or password; administration goes through Microsoft Entra identities.",
    severity: "high",
    pci: ["8.2.2", "8.3.1", "8.6.2"],
    gdpr: ["32"],
    soc2: ["CC6.1"],
    service: "sql",
    remediationSteps:
      "Remove `administratorLogin` and `administratorLoginPassword` and use `administrators` with `azureADOnlyAuthentication: true`.",
    url: `${DOCS}/authentication-azure-ad-only-authentication`,
  },
  SQL_SERVER,
  (props, args, report) => {
    // A value unknown during preview (e.g. a random.RandomPassword result) counts as supplied.
    const supplied = (["administratorLogin", "administratorLoginPassword"] as const).filter(
      (k) => presence(props, k) !== "absent",
    );
    if (supplied.length > 0) {
      report(
        `${who(args)} supplies SQL authentication credentials (${supplied.join(", ")}): remove ${supplied.join(" and ")} and use Entra-only authentication (administrators.azureADOnlyAuthentication true).`,
      );
    }
  },
);

export const sqlServerOutbound = resourcePolicy<sql.ServerArgs>(
  {
    name: "azure-native-sql-server-enforce-outbound-network-restriction",
    description:
      "Every Azure SQL logical server restricts outbound connections to the storage accounts and FQDNs it is allowed to reach.",
    severity: "medium",
    pci: ["1.3.2"],
    gdpr: ["32", "44"],
    soc2: ["CC6.6"],
    service: "sql",
    remediationSteps:
      'Set `restrictOutboundNetworkAccess` to "Enabled" and add the allowed targets as `sql.OutboundFirewallRule` resources.',
    url: `${DOCS}/outbound-firewall-rule-overview`,
    // Advisory by default (a server may need outbound targets a stack has not listed yet); prod's policy config makes
    // it mandatory: the OLTP servers hold the CDE database (PCI DSS 1.3.2, outbound traffic from the CDE restricted).
    enforcementLevel: "advisory",
  },
  SQL_SERVER,
  (props, args, report) => {
    // Absent ⇒ violation: the default is "Disabled" (any outbound destination).
    if (!sameText(props.restrictOutboundNetworkAccess, "Enabled")) {
      report(
        `${who(args)} does not restrict outbound network access (restrictOutboundNetworkAccess ${show(props.restrictOutboundNetworkAccess)}): set restrictOutboundNetworkAccess to "Enabled".`,
      );
    }
  },
);

export const sqlServerCmk = resourcePolicy<sql.ServerArgs>(
  {
    name: "azure-native-sql-server-require-customer-managed-key",
    description:
      "Every in-scope Azure SQL logical server encrypts its databases (TDE protector) with a customer-managed Key Vault key, reached through a managed identity.",
    severity: "high",
    pci: ["3.5.1", "3.6.1", "3.7.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "sql",
    remediationSteps:
      'Set `keyId` to the Key Vault key URI, `identity` to `{ type: "UserAssigned", userAssignedIdentities: [id] }` and `primaryUserAssignedIdentityId` to that identity (which needs Key Vault Crypto Service Encryption User on the key).',
    url: `${DOCS}/transparent-data-encryption-byok-overview`,
    config: { inScopeTagValues: inScopeKnob() },
  },
  SQL_SERVER,
  (props, args, report) => {
    skipOutOfScope(props, args);
    // The key URI is usually an Output of a Key Vault key (unknown in preview): presence is enough here.
    if (presence(props, "keyId") === "absent") {
      report(`${who(args)} uses a service-managed TDE key: set keyId to the customer-managed Key Vault key URI.`);
    }
    const idType = valueAt(props, "identity", "type");
    if (presence(props, "identity", "type") === "absent" || sameText(idType, "None")) {
      report(
        `${who(args)} has no managed identity to reach its key: set identity.type to "UserAssigned" (with userAssignedIdentities) and primaryUserAssignedIdentityId.`,
      );
    } else if (
      typeof idType === "string" &&
      idType.toLowerCase().includes("userassigned") &&
      presence(props, "primaryUserAssignedIdentityId") === "absent"
    ) {
      report(
        `${who(args)} has a user-assigned identity but no primaryUserAssignedIdentityId: set primaryUserAssignedIdentityId to the identity that may unwrap the key.`,
      );
    }
  },
);
