/** The streaming rules' type tokens: Event Hubs, Stream Analytics, App Service sites and their slots and policies. */

export const EH_NAMESPACE = "azure-native:eventhub:Namespace";
/** A namespace's network rule set: a separate resource that rewrites the namespace's public network access. */
export const EH_NETWORK_RULE_SET = "azure-native:eventhub:NamespaceNetworkRuleSet";
export const ASA_JOB = "azure-native:streamanalytics:StreamingJob";
export const ASA_INPUT = "azure-native:streamanalytics:Input";
export const ASA_OUTPUT = "azure-native:streamanalytics:Output";
export const WEB_APP = "azure-native:web:WebApp";
/** A deployment slot is a site of its own (its own network access, TLS, FTP and settings): the same rules apply. */
export const WEB_APP_SLOT = "azure-native:web:WebAppSlot";
/** A site's storage mounts declared apart from its `siteConfig` (`properties`: mount name → AzureStorageInfoValue). */
export const STORAGE_MOUNTS = [
  "azure-native:web:WebAppAzureStorageAccounts",
  "azure-native:web:WebAppAzureStorageAccountsSlot",
];
export const FTP_ALLOWED = "azure-native:web:WebAppFtpAllowed";
export const SCM_ALLOWED = "azure-native:web:WebAppScmAllowed";
/** The same policies of a deployment slot (a slot has its own FTP and SCM endpoints). */
export const FTP_ALLOWED_SLOT = "azure-native:web:WebAppFtpAllowedSlot";
export const SCM_ALLOWED_SLOT = "azure-native:web:WebAppScmAllowedSlot";
