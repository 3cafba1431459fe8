/** The Key Vault rules' type tokens, Key Vault's calendar and the prod knob's wording. */
import { isoDurationDays, KEY_VAULT_CALENDAR } from "../../lib/duration";

export const VAULT = "azure-native:keyvault:Vault";
/** A Managed HSM pool: its `properties` carry the same purge protection, soft delete and network settings. */
export const MANAGED_HSM = "azure-native:keyvault:ManagedHsm";
export const KEY = "azure-native:keyvault:Key";
export const SECRET = "azure-native:keyvault:Secret";

/** Key Vault counts a year as 365 days and a month as 30 in rotation policies. */
export const durationDays = (text: unknown) => isoDurationDays(text, KEY_VAULT_CALENDAR);

/** How this module describes its `prodStacks` knob. */
export const PROD_STACKS = "Stacks (the stack segment of the URN) that hold the cardholder data environment.";
