/**
 * The change-feed relay app (flow 3): a Cosmos DB trigger on api_logs (latest-version change feed, leases in the
 * `leases` container) maps each batch to API log events and sends them to the api-logs event hub through the
 * Event Hubs output binding, which the Stream Analytics job reads. Every connection uses the app's managed
 * identity (`CosmosDb__*`, `EventHubs__*` settings from components/streaming); no keys.
 *
 * Delivery is at least once: a failed send throws, and the retry policy re-runs the same batch (the lease is not
 * advanced) until it succeeds, so nothing is lost and order per lease is kept; the Stream Analytics query counts a
 * call sent twice once (same id and event time), and a minute written twice is deduplicated on the fact's grain
 * nightly (pipelines/model/olap.ts).
 */
import { app, output, type InvocationContext } from "@azure/functions";
import { relayBatch, type ApiLogEvent, type ChangeFeedDocument } from "../lib/apiLogEvents";

export const apiLogsHub = output.eventHub({ connection: "EventHubs", eventHubName: "%EVENT_HUB_NAME%" });

export async function relayApiLogs(documents: unknown[], context: InvocationContext): Promise<ApiLogEvent[]> {
  const batch = relayBatch(documents as ChangeFeedDocument[]);
  for (const s of batch.skipped) context.warn(`api_logs item ${s.id} not relayed: ${s.reason}`);
  context.log(`relaying ${batch.events.length} of ${documents.length} change feed documents`);
  return batch.events;
}

export function registerChangeFeedRelay(): void {
  app.cosmosDB("relayApiLogs", {
    connection: "CosmosDb",
    databaseName: "%COSMOS_DATABASE%",
    containerName: "%COSMOS_CONTAINER_API_LOGS%",
    leaseContainerName: "%COSMOS_CONTAINER_LEASES%",
    // The container is created by the NoSQL tier (partitioned by /id); the app's identity cannot create one.
    createLeaseContainerIfNotExists: false,
    // One prefix per app, so another consumer of the same leases container keeps its own checkpoints.
    leaseContainerPrefix: "relay-",
    // Poll every second (default 5 s) so an API call reaches Event Hubs in about a second.
    feedPollDelay: 1000,
    maxItemsPerInvocation: 1000,
    startFromBeginning: false,
    retry: { strategy: "exponentialBackoff", maxRetryCount: -1, minimumInterval: 1000, maximumInterval: 60_000 },
    return: apiLogsHub,
    handler: relayApiLogs,
  });
}
