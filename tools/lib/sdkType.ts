/**
 * The offline tools compare a resource's type with the default class's token, whatever API version it was declared
 * with: `azure-native:storage/v20230501:StorageAccount` (an alias) and a v3 local package's
 * `azure-native_keyvault_v20260201:keyvault:Vault` (`pulumi package add azure-native keyvault 2026-02-01`, the Key
 * Vault retirement's fix: tools/lib/retirements.ts) are the same resource to the hazards, retirements, cost and
 * change checks, as they are to the policy pack (policies/lib/typeToken.ts, the one parser of both forms). What
 * depends on the version itself (the REST API version, its ARM schema) reads the declared type.
 */
import { apiVersionOf as tokenApiVersion, defaultTypeToken } from "../../policies/lib/typeToken";

export { defaultTypeToken, tokenApiVersion };

/** The default class's token of a resource's declared type. */
export const sdkTypeOf = (r: { readonly type: string }): string => defaultTypeToken(r.type);

/** Whether a resource is an azure-native one, declared with the default class or a versioned token. */
export const isAzureNative = (r: { readonly type: string }): boolean => sdkTypeOf(r).startsWith("azure-native:");
