/** Stack configuration of the NoSQL tier: `cosmos` (the account and its containers). */
import { z } from "../zod";
import { settings } from "./strict";
import { COSMOS_CONSISTENCY, COSMOS_CONTAINERS, list, type CosmosContainerKey } from "./common";

export const containerSchema = settings({
  /** Autoscale maximum RU/s (provisioned accounts only): a multiple of 1000, at least 1000. */
  maxThroughput: z
    .number({ error: "must be a multiple of 1000 RU/s, 1000–1,000,000 (Cosmos DB autoscale)" })
    .int({ error: "must be a multiple of 1000 RU/s, 1000–1,000,000 (Cosmos DB autoscale)" })
    .min(1000, "must be at least 1000 RU/s")
    .max(1_000_000, "must be at most 1,000,000 RU/s")
    .refine((v) => v % 1000 === 0, "must be a multiple of 1000 RU/s (Cosmos DB autoscale)")
    .optional(),
  /** Default time to live in seconds; -1 = items never expire unless they set ttl; absent = TTL off. */
  ttlSeconds: z
    .number({ error: "must be -1 or a positive whole number of seconds" })
    .int({ error: "must be -1 or a positive whole number of seconds" })
    .refine((v) => v === -1 || v > 0, "must be -1 or a positive number of seconds")
    // "The maximum value for TTL is 2,147,483,647 seconds" (cosmos-db/nosql/time-to-live).
    .refine((v) => v <= 2147483647, "must be at most 2147483647 seconds (Cosmos DB's maximum TTL)")
    .optional(),
});

/**
 * Containers whose items the GDPR erasure expires with per-item `ttl` stubs (pipelines/etl/erasure.ts): Cosmos DB
 * ignores an item's `ttl` unless its container has a default TTL (-1 or seconds), so theirs is required
 * (tests/etl.spec.ts holds the erasure's containers to this list).
 */
export const TTL_REQUIRED_CONTAINERS = ["sessions", "fraudFeatures"] as const satisfies readonly CosmosContainerKey[];

export const cosmosSchema = settings({
  serverless: z.boolean(),
  multiRegion: z.boolean(),
  zoneRedundant: z.boolean(),
  backupTier: z.enum(["Continuous7Days", "Continuous30Days"], {
    error: () => "must be Continuous7Days or Continuous30Days",
  }),
  consistency: z.enum(COSMOS_CONSISTENCY, { error: () => `must be one of ${list(COSMOS_CONSISTENCY)}` }),
  containers: settings({
    apiLogs: containerSchema,
    sessions: containerSchema,
    fraudFeatures: containerSchema,
    webhookEvents: containerSchema,
    // Change feed leases of the streaming tier's relay (components/streaming): one small item per lease.
    leases: containerSchema.default({}),
  }),
}).superRefine((c, ctx) => {
  for (const key of COSMOS_CONTAINERS) {
    const t = c.containers[key].maxThroughput;
    if (c.serverless && t !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["containers", key, "maxThroughput"],
        message: "must be absent on a serverless account (serverless has no provisioned throughput)",
      });
    }
    if (!c.serverless && t === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["containers", key, "maxThroughput"],
        message: "is required on a provisioned account (autoscale maximum RU/s, multiple of 1000)",
      });
    }
  }
  for (const key of TTL_REQUIRED_CONTAINERS) {
    if (c.containers[key].ttlSeconds === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["containers", key, "ttlSeconds"],
        message:
          "is required: the GDPR erasure expires this container's items with per-item ttl stubs, which Cosmos DB ignores without a container TTL (set the retention in seconds: the pack refuses -1 and more than 400 days unless the stack's policy config raises maxTtlSeconds)",
      });
    }
  }
  if (c.serverless && c.multiRegion) {
    ctx.addIssue({
      code: "custom",
      path: ["multiRegion"],
      message: "serverless accounts are single-region: set serverless false or multiRegion false",
    });
  }
});
