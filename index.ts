/**
 * The payments data platform, one stack program: read and validate the stack's config, then build each tier on
 * the one below it. Every tier is a ComponentResource in components/; the shared Azure interfaces
 * (private endpoints, diagnostics, customer-managed keys, identities, role assignments, locks, tags) live in
 * components/shared/ and are used by all of them.
 *
 *   ingestion / operations (later issues)
 *              │
 *   OLTP (Azure SQL) · NoSQL (Cosmos DB) · OLAP · ETL · ML   ← tiers
 *              │
 *   Platform: network · private DNS · Key Vault + CMK keys · identities · Log Analytics · Entra groups · alerts
 */
import { loadConfig } from "./lib/config";
import { Platform } from "./components/platform";
import { stackContext } from "./components/shared";

const config = loadConfig();
const context = stackContext(config);

const platform = new Platform("platform", { context });

// Stack outputs an operator needs (names, ids, endpoints; nothing secret).
export const environment = config.environment;
export const location = config.location;
export const resourceGroups = Object.fromEntries(
  Object.entries(platform.resourceGroups).map(([role, rg]) => [role, rg.name]),
);
export const vnetId = platform.vnetId;
export const subnetIds = platform.subnetIds;
export const keyVaultUri = platform.keyVault.uri;
export const logAnalyticsWorkspaceId = platform.logAnalytics.id;
export const actionGroupId = platform.actionGroupId;
export const entraGroupObjectIds = platform.groupObjectIds;
export const customerManagedKeyUris = Object.fromEntries(
  Object.entries(platform.customerManagedKeys).map(([service, key]) => [service, key.keyUri]),
);
