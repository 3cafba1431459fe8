/**
 * Names that say they hold a secret, shared by the rules that read settings by name (web and function app settings,
 * Data Factory global parameters).
 */
/**
 * Setting names that say they hold a secret (AZURE_CLIENT_SECRET, DB_PASSWORD, API_KEY, SAS_TOKEN, …): whole words
 * of the name (nameWords: camelCase and PascalCase names are split first), so platform settings that only mention one (AzureWebJobsSecretStorageType, WEBSITE_AUTH_TOKEN_STORE)
 * are not taken for secrets.
 */
const SECRET_NAME =
  /(^|_)(secret|client_?secret|passw(or)?d|pwd|token|access_?token|api_?key|access_?key|private_?key|sas(_?token)?)(_|$)/i;
/** Platform settings whose names contain a secret word but whose values are switches. */
const NOT_SECRETS = ["AzureWebJobsSecretStorageType", "WEBSITE_AUTH_TOKEN_STORE"];
/**
 * A name that ends in KEY (COSMOS_KEY, STORAGE_ACCOUNT_KEY, PRIMARY_KEY) holds one, unless the key is a data key
 * (PARTITION_KEY, IDEMPOTENCY_KEY, a cache or sort key). Only as the last part: KEY_VAULT_URI, CMK_KEY_URI,
 * IDEMPOTENCY_KEY_TTL name or describe a key without holding one.
 */
const KEY_NAME = /(^|_)key$/i;
const DATA_KEY_NAME = /(^|_)(partition|idempotency|cache|sort|row|routing|lookup|dedup(lication)?|correlation)_?key$/i;
/**
 * A setting's name as underscore-separated words, so that compound .NET and Node names read like SNAKE_CASE ones:
 * `DbPassword` → `Db_Password`, `StripeApiKey` → `Stripe_Api_Key`, `SQLPassword` → `SQL_Password`,
 * `CosmosDb__accountKey` → `Cosmos_Db__account_Key`, `Sql:Password` → `Sql_Password`.
 */
const nameWords = (name: string) =>
  name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .replace(/[.:-]/g, "_");
/**
 * A name whose last word says it holds a reference to a secret, not the secret (`KEY_VAULT_SECRET_NAME`, `secretUri`,
 * `tokenEndpoint`, `SECRET_ID`): keeping the secret in Key Vault and passing its name is what the rules ask for.
 */
const REFERENCE_NAME = /(^|_)(name|uri|url|endpoint|id)$/i;
export const secretName = (name: string): boolean => {
  if (NOT_SECRETS.includes(name)) return false;
  const words = nameWords(name);
  if (REFERENCE_NAME.test(words)) return false;
  return SECRET_NAME.test(words) || (KEY_NAME.test(words) && !DATA_KEY_NAME.test(words));
};
