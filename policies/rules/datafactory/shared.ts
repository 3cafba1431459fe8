/**
 * What the Data Factory rules share: type tokens, the reading of linked service settings and their inline secrets, the
 * runtime rules' metadata.
 */
import { presence, safeGet, valueAt } from "../../lib/values";

export const FACTORY = "azure-native:datafactory:Factory";
export const LINKED_SERVICE = "azure-native:datafactory:LinkedService";
export const DOCS = "https://learn.microsoft.com/azure/data-factory";

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
export const EMBEDDED_SECRET = /(^|;)\s*(password|pwd|accountkey|sharedaccesskey|sharedaccesssignature)\s*=|[?&]sig=/i;

/** The linked service's settings: azure-native's flattened `properties`, plus ARM-shaped `typeProperties`. */
export function settingsOf(props: unknown): Record<string, unknown>[] {
  const properties = valueAt(props, "properties");
  if (properties === null || typeof properties !== "object") return [];
  const nested = safeGet(properties, "typeProperties");
  return [
    properties as Record<string, unknown>,
    ...(nested && typeof nested === "object" ? [nested as Record<string, unknown>] : []),
  ];
}

/** A path of keys as the messages print it: `a.b[0].c` (array indexes in brackets). */
export function pathText(root: string, keys: readonly string[], arrays: readonly boolean[]): string {
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
export function inlineSecrets(
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

/** The runtime every factory has, outside any managed virtual network (unless the factory redeclares it there). */
export const DEFAULT_RUNTIME = "AutoResolveIntegrationRuntime";

/** What the two linked-service runtime rules share: the network controls they enforce and where they are documented. */
export const RUNTIME_RULE = {
  severity: "high",
  pci: ["1.3.1", "1.4.4"],
  gdpr: ["25", "32"],
  soc2: ["CC6.6"],
  service: "datafactory",
  url: `${DOCS}/managed-virtual-network-private-endpoint`,
} as const;

/** Linked service types that cannot name an integration runtime (Key Vault is reached by the factory itself). */
export const NO_RUNTIME_TYPES = ["AzureKeyVault"];

/** Activity authentication fields that hold a credential when given as a plain string. */
export const ACTIVITY_SECRET_KEYS = ["password", "pfx", "servicePrincipalKey", "clientSecret", "key", "accessToken"];
