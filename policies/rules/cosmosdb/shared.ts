/** The Cosmos DB rules' account type token and documentation root. */

export const ACCOUNT = "azure-native:cosmosdb:DatabaseAccount";
export const DOCS = "https://learn.microsoft.com/azure/cosmos-db";
