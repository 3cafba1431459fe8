/** Stack configuration of the service tiers: `ml`, `etl`, `ingestion` (function apps, gateway) and `streaming`. */
import { X509Certificate } from "node:crypto";
import { z } from "../zod";
import { maxUsefulStreamingUnits, readQuery } from "../../pipelines/streaming/query";
import { settings } from "./strict";
import { ML_VM_PRIORITIES, ONLINE_ENDPOINT_CPU_SKUS, cidr, list, int } from "./common";

/** Azure VM size names (`Standard_D4s_v3`, `Standard_NC6s_v3`, ...). */
export const vmSize = z
  .string()
  .regex(/^Standard_[A-Z][A-Za-z0-9_]*$/, "must be an Azure VM size name, e.g. Standard_D4s_v3");

/** Dev-sized defaults of the `ml` key (prod must set it: prod requires 3+ endpoint instances and dedicated nodes). */
export const ML_DEV_DEFAULTS = {
  compute: { vmSize: "Standard_DS3_v2", maxNodes: 2, vmPriority: "Dedicated", idleSecondsBeforeScaleDown: 120 },
  endpoint: { instanceType: "Standard_DS1_v2", instanceCount: 1 },
  vnetComputeEgress: false,
} as const;

export const mlSchema = settings({
  /** Training cluster (scales to zero when idle). */
  compute: settings({
    vmSize,
    maxNodes: int(1, 100, " nodes"),
    vmPriority: z.enum(ML_VM_PRIORITIES, { error: () => `must be one of ${list(ML_VM_PRIORITIES)}` }),
    /** Idle seconds before the cluster scales a node down (ISO 8601 duration in the resource). */
    idleSecondsBeforeScaleDown: int(60, 86400, " seconds"),
  }),
  /** Fraud-scoring managed online endpoint: the deployment size the release pipeline uses (docs/ml-operations.md). */
  endpoint: settings({
    // Azure accepts any casing (Microsoft's list spells them STANDARD_DS3_V2): matched without case, kept canonical.
    instanceType: z
      .string()
      .transform((v) => ONLINE_ENDPOINT_CPU_SKUS.find((sku) => sku.toLowerCase() === v.toLowerCase()) ?? v)
      .refine((v) => (ONLINE_ENDPOINT_CPU_SKUS as readonly string[]).includes(v), {
        error: `must be a managed online endpoint CPU size: one of ${list(ONLINE_ENDPOINT_CPU_SKUS)}`,
      }),
    instanceCount: int(1, 20, " instances"),
  }),
  /**
   * Whether compute injected into `snet-ml-compute` (another workspace's, or VNet-injected compute; this stack's
   * workspace computes in its managed network and never uses the subnet) gets Microsoft's required outbound list
   * through Azure Firewall (`lib/mlEgress.ts`: regional Storage, Azure Monitor, Resource Manager, Azure ML, Front Door
   * and registry tags). Off by default: those tags reach other tenants' resources too, so the allow-list exists only
   * while something needs it (PCI DSS 1.3.2).
   */
  vnetComputeEgress: z.boolean().default(false),
});

/** Dev-sized defaults of the `etl` key (a stack that does not mention the tier still gets a valid, small one). */
export const ETL_DEV_DEFAULTS = {
  customerManagedKey: true,
  outboundAllowList: false,
  integrationRuntime: {
    copyDataIntegrationUnits: 8,
    copyTimeToLiveMinutes: 5,
    pipelineTimeToLiveMinutes: 5,
    pipelineNodes: 1,
    externalNodes: 1,
  },
} as const;

export const etlSchema = settings({
  /**
   * Encrypt the factory with its customer-managed key (`cmk-data-factory` in the private vault). Taken when the
   * factory is created only. `false` (Microsoft-managed keys) is the fallback if the factory cannot reach its key
   * there (Key Vault lists Data Factory as a trusted service for fetching credentials only: a first-deploy check in
   * docs/operations.md); the pack's mandatory customer-managed key rule then needs an exemption in
   * `policies/config/<stack>.json`, its date in its reason.
   */
  customerManagedKey: z.boolean().default(true),
  /**
   * Assign Data Factory's outbound allow-list (the built-in Azure Policy "[Preview]: Azure Data Factory pipelines
   * should only communicate with allowed domains", effect Deny) on the factory's resource group, listing the stores'
   * host names and Resource Manager: the managed virtual network opens every port outbound ("All ports are opened
   * for outbound communications", managed-virtual-network-private-endpoint), so without it a pipeline can send data
   * anywhere. A preview, enforced only once "Outbound rules" is switched on in ADF Studio, with its own throttling:
   * docs/etl.md, "Outbound traffic". Default false.
   */
  outboundAllowList: z.boolean().default(false),
  /** The Azure integration runtime in the factory's managed virtual network (components/etl/settings.ts). */
  integrationRuntime: settings({
    /** Data integration units reserved for copies while the copy compute is warm: a multiple of 4, 4-256. */
    copyDataIntegrationUnits: int(4, 256, " (DIU)").refine((n) => n % 4 === 0, {
      error: "must be a multiple of 4 (Data Factory reserves DIUs in fours in a managed virtual network)",
    }),
    /** Minutes the copy compute stays warm after a copy (>= 5; warm compute is billed). */
    copyTimeToLiveMinutes: int(5, 1440, " minutes"),
    /** Minutes the pipeline/external activity compute stays warm (>= 5; cannot be disabled). */
    pipelineTimeToLiveMinutes: int(5, 1440, " minutes"),
    /** Pipeline activity nodes (Lookup, Script, Stored Procedure, Web): 1-10. */
    pipelineNodes: int(1, 10, " nodes"),
    /** External activity nodes: 1-10. */
    externalNodes: int(1, 10, " nodes"),
  }),
});

/** Flex Consumption instance memory sizes (MB). */
export const FLEX_MEMORY_MB = [512, 2048, 4096] as const;
/** Function hosting plans the shared hosting supports (see components/shared/functionApp.ts for why Flex). */
export const FUNCTION_PLAN_SKUS = ["FC1"] as const;

/** Always-ready instances a zone-redundant Flex plan keeps per function group (reliability-functions). */
export const ZONE_REDUNDANT_MIN_ALWAYS_READY = 2;

export const functionAppSchema = settings({
  /**
   * Flex Consumption scale-out ceiling of the app's on-demand instances per function group: "Currently the lowest
   * maximum instance count value is 1, and the highest supported maximum instance count value is 1000"
   * (https://learn.microsoft.com/azure/azure-functions/event-driven-scaling; it was 40 until 2026).
   */
  maximumInstanceCount: int(1, 1000, " (Flex Consumption maximum instance count)"),
  /** Instances kept warm for the app's trigger group (cold-start free; billed while idle). */
  alwaysReady: int(0, 50, " (always-ready instances)"),
});

/** Revocation checks Application Gateway can make on a merchant's client certificate. */
export const CLIENT_REVOCATION_CHECKS = ["OCSP", "None"] as const;

/** Application Gateway's limits on a trusted client certificate file and on the files of one SSL profile. */
export const CLIENT_CA_LIMITS = { fileBytes: 25 * 1024, perProfile: 100 } as const;

/**
 * What Application Gateway refuses in a trusted client CA file (pure): anything but certificates (a private key:
 * `…MustNotHavePrivateKey`), a certificate that is not a CA, a chain without exactly one self-signed root
 * (`ApplicationGatewayOnlyOneRootCAAllowedInTrustedClientCertificate`), a certificate whose issuer is not in the file,
 * or a file over 25 KB (learn.microsoft.com/azure/application-gateway/mutual-authentication-overview).
 */
export function clientCaProblems(pem: string): string[] {
  if (Buffer.byteLength(pem) > CLIENT_CA_LIMITS.fileBytes)
    return [`must be at most ${CLIENT_CA_LIMITS.fileBytes / 1024} KB (Application Gateway's limit per file)`];
  const blocks = [...pem.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)];
  if (blocks.length === 0) return ["must be a PEM certificate (-----BEGIN CERTIFICATE----- ...)"];
  const others = blocks.filter((b) => b[1] !== "CERTIFICATE").map((b) => b[1]);
  if (others.length > 0) return [`must hold certificates only, not ${others.join(", ")} (never a private key)`];
  const certs: X509Certificate[] = [];
  for (const b of blocks) {
    try {
      certs.push(new X509Certificate(b[0]));
    } catch {
      return ["must be a PEM certificate (-----BEGIN CERTIFICATE----- ...)"];
    }
  }
  const problems: string[] = [];
  const name = (c: X509Certificate) => c.subject.replace(/\n/g, ", ");
  for (const c of certs.filter((c) => !c.ca))
    problems.push(`must hold certificate authorities only (basic constraints CA:TRUE); ${name(c)} is not`);
  const roots = certs.filter((c) => c.checkIssued(c) && c.verify(c.publicKey));
  if (roots.length !== 1)
    problems.push(
      `must hold exactly one self-signed root CA (its chain's intermediates may follow); found ${roots.length}`,
    );
  const issued = (issuer: X509Certificate, c: X509Certificate) =>
    issuer !== c && c.checkIssued(issuer) && c.verify(issuer.publicKey);
  for (const c of certs.filter((c) => !roots.includes(c)))
    if (!certs.some((issuer) => issued(issuer, c)))
      problems.push(`must hold the issuer of ${name(c)} (one chain up to the root)`);
  // One linear chain: with the issuer name verified, the gateway takes one issuer DN from the file, so sibling
  // intermediates belong in files of their own (mutual-authentication-overview).
  for (const c of certs) {
    const children = certs.filter((other) => issued(c, other));
    if (children.length > 1)
      problems.push(
        `must hold one chain: ${name(c)} issues ${children.length} certificates here; give each its own file`,
      );
  }
  return problems;
}

/** A certificate authority whose certificates identify merchants (PEM, public certificates only). */
export const merchantAuthoritySchema = settings({
  /** Name of the trusted client certificate on the gateway. */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "must be lower-case letters, digits and hyphens (1-63)"),
  /** The authority's chain, PEM: its root CA, then any intermediate that issues merchants' certificates. */
  certificate: z.string().superRefine((pem, ctx) => {
    for (const message of clientCaProblems(pem)) ctx.addIssue({ code: "custom", message });
  }),
});

/** Whether merchants authenticate with client certificates (mutual TLS): the stack names their authorities. */
export const merchantAuthenticationOn = (ingestion: {
  gateway: { merchantCertificateAuthorities?: readonly unknown[] };
}) => (ingestion.gateway.merchantCertificateAuthorities?.length ?? 0) > 0;

export const ingestionSchema = settings({
  gateway: settings({
    /** Application Gateway v2 autoscale minimum (instances kept running; 0 allowed). */
    minInstances: int(0, 125, " (Application Gateway v2 autoscale)"),
    /** Application Gateway v2 autoscale maximum. */
    maxInstances: int(2, 125, " (Application Gateway v2 autoscale)"),
    /**
     * Merchant authentication by client certificate (mutual TLS) at the HTTPS listener: the authorities that issue
     * merchants' certificates (`CN=merchant-<MerchantId>`). Absent: no client certificate is asked for, and the
     * payment API cannot tell one merchant from another (the pack's advisory rule says so).
     */
    merchantCertificateAuthorities: z
      .array(merchantAuthoritySchema)
      .min(1, "must list at least one authority")
      .max(
        CLIENT_CA_LIMITS.perProfile,
        `must list at most ${CLIENT_CA_LIMITS.perProfile} authorities (per SSL profile)`,
      )
      .optional(),
    /**
     * With merchant authorities: the address ranges (CIDR) of the self-hosted runners that ship the payment API's
     * code (deploy.yml, VNET_RUNNER_LABEL). The API's private endpoint then admits HTTPS from the gateway's subnet
     * and these ranges only, so no other workload in the network can forge the gateway's certificate headers.
     */
    paymentApiDeploySources: z.array(cidr).optional(),
    /** Revocation check of merchants' certificates: OCSP (the authority's responder) or None. */
    merchantCertificateRevocation: z
      .enum(CLIENT_REVOCATION_CHECKS, { error: () => `must be one of ${list(CLIENT_REVOCATION_CHECKS)}` })
      .default("OCSP"),
  }),
  /** Public host name of the payments API (the listener's host name and the certificate's subject). */
  apiHostName: z
    .string()
    .regex(
      /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
      "must be a lower-case DNS name, e.g. api.payments.example.com",
    )
    .optional(),
  /** Name of the TLS certificate in the platform Key Vault that the gateway's HTTPS listener serves. */
  tlsCertificateName: z
    .string()
    .regex(/^[0-9A-Za-z-]{1,127}$/, "must be a Key Vault certificate name (letters, digits, hyphens)")
    .default("agw-payments-api-tls"),
  functions: settings({
    sku: z.enum(FUNCTION_PLAN_SKUS, {
      error: () =>
        `must be ${list(FUNCTION_PLAN_SKUS)} (Flex Consumption: identity-based deployment storage, VNet integration, always-ready instances)`,
    }),
    instanceMemoryMB: z
      .number({ error: `must be one of ${list(FLEX_MEMORY_MB)} MB` })
      .refine((v) => (FLEX_MEMORY_MB as readonly number[]).includes(v), `must be one of ${list(FLEX_MEMORY_MB)} MB`),
    /**
     * Zone-redundant Flex plans for both apps (created with it): "Always-ready instances are distributed across at
     * least two zones", and "the platform automatically maintains at least two always-ready instances for each
     * per-function scaling function or group … billed as always-ready instances" (reliability-functions, Flex
     * Consumption). Each app's always-ready counts must then be at least 2, and the groups the config does not size
     * (the merchant refresh timer) are declared with 2, so the estimate bills what Azure bills.
     */
    zoneRedundant: z.boolean().default(false),
    paymentApi: functionAppSchema,
    fraudScoring: settings({
      ...functionAppSchema.shape,
      /**
       * The SQL trigger's polling interval (`Sql_Trigger_PollingIntervalMs`; the extension's default is 1,000 ms): how
       * long a new payment may wait to be scored, and how often each always-ready instance polls the database, whose
       * audit (BATCH_COMPLETED_GROUP) records each poll's three batches (docs/cost.md, "SQL audit of the scorer's
       * polls"). prod's flow has a 200 ms P99 budget, hence 100 ms there.
       */
      sqlTriggerPollingMs: int(100, 60_000, " of milliseconds (the SQL trigger's polling interval)").default(1_000),
    }),
  }),
}).superRefine((c, ctx) => {
  if (c.gateway.maxInstances < c.gateway.minInstances) {
    ctx.addIssue({
      code: "custom",
      path: ["gateway", "maxInstances"],
      message: `must be at least gateway.minInstances (${c.gateway.minInstances})`,
    });
  }
  if (c.gateway.merchantCertificateAuthorities && !c.gateway.paymentApiDeploySources?.length)
    ctx.addIssue({
      code: "custom",
      path: ["gateway", "paymentApiDeploySources"],
      message:
        "must list the address ranges (CIDR) of the runners that ship the payment API's code when merchantCertificateAuthorities is set: its private endpoint then admits only the gateway and them",
    });
  const names = (c.gateway.merchantCertificateAuthorities ?? []).map((a) => a.name);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i)
      ctx.addIssue({
        code: "custom",
        path: ["gateway", "merchantCertificateAuthorities", i, "name"],
        message: `must be unique ('${n}' is listed twice)`,
      });
  });
  if (c.functions.zoneRedundant)
    for (const app of ["paymentApi", "fraudScoring"] as const)
      if (c.functions[app].alwaysReady < ZONE_REDUNDANT_MIN_ALWAYS_READY)
        ctx.addIssue({
          code: "custom",
          path: ["functions", app, "alwaysReady"],
          message: `must be at least ${ZONE_REDUNDANT_MIN_ALWAYS_READY} with functions.zoneRedundant (a zone-redundant Flex plan keeps and bills two always-ready instances per function group whatever the setting)`,
        });
  if (c.functions.fraudScoring.alwaysReady < 1) {
    ctx.addIssue({
      code: "custom",
      path: ["functions", "fraudScoring", "alwaysReady"],
      message:
        "must be at least 1: the SQL trigger authenticates with a managed identity, which the Flex Consumption scale controller cannot use to wake an app from zero (Azure/azure-functions-sql-extension#1235)",
    });
  }
});

/** Event Hubs tiers the streaming tier supports (Basic has no consumer groups beyond $Default and 1-day retention). */
export const EVENT_HUBS_SKUS = ["Standard", "Premium"] as const;
/** Premium processing units Azure sells. */
export const EVENT_HUBS_PREMIUM_UNITS = [1, 2, 4, 8, 16] as const;

/** Window sizes a log search alert accepts, in minutes (the freshness alert's threshold). */
export const FRESHNESS_MINUTES = [5, 10, 15, 30, 45, 60, 120, 180, 240, 300, 360, 1440] as const;

/** Dev-sized defaults of the `streaming` key (prod must set it: prod requires Premium Event Hubs for the CMK). */
export const STREAMING_DEV_DEFAULTS = {
  eventHubs: { sku: "Standard", capacity: 1, partitions: 2, retentionHours: 24 },
  streamAnalytics: { streamingUnits: 1, lateArrivalSeconds: 60 },
  relay: {
    instanceMemoryMB: 2048,
    maximumInstanceCount: 40,
    alwaysReady: 0,
    loaderAlwaysReady: 0,
    zoneRedundant: false,
  },
  freshnessMinutes: 60,
} as const;

export const streamingSchema = settings({
  eventHubs: settings({
    /** Standard (Microsoft-managed keys only) or Premium (customer-managed key, dedicated resources). */
    sku: z.enum(EVENT_HUBS_SKUS, {
      error: () => `must be ${list(EVENT_HUBS_SKUS)} (customer-managed keys need Premium)`,
    }),
    /** Throughput units (Standard, 1-40) or processing units (Premium: 1, 2, 4, 8, 16). */
    capacity: int(1, 40, " (Event Hubs throughput/processing units)"),
    /** Partitions of the api-logs hub (Standard at most 32, Premium at most 100); fixed once created on Standard. */
    partitions: int(1, 100, " (Event Hubs partitions)"),
    /** Hours events stay in the hub for replay (Standard at most 168, Premium at most 2160). */
    retentionHours: int(1, 2160, " hours (Event Hubs retention)"),
  }).default(STREAMING_DEV_DEFAULTS.eventHubs),
  streamAnalytics: settings({
    /**
     * Removed: the job no longer runs on a Stream Analytics cluster (it writes to Event Hubs through the trusted
     * services exception and a function loads Synapse, docs/streaming.md). Refused rather than ignored, so a
     * stack file that still sizes a cluster says so.
     */
    clusterCapacity: z
      .never({
        error: () =>
          "is no longer used: the job runs without a Stream Analytics cluster (docs/streaming.md); remove the key and size the job with streamingUnits",
      })
      .optional(),
    /** Streaming units (SU V1: 1, 3, 6, then multiples of 6) of the job (multi-tenant, billed per SU-hour). */
    streamingUnits: z
      .number({ error: "must be 1, 3 or a multiple of 6 up to 216 (Stream Analytics SU V1)" })
      .refine(
        (v) => v === 1 || v === 3 || (Number.isInteger(v) && v % 6 === 0 && v >= 6 && v <= 216),
        "must be 1, 3 or a multiple of 6 up to 216 (Stream Analytics SU V1)",
      )
      // More than the query can use is billed and adds no throughput: no step of pipelines/streaming's query is
      // partitioned, and all non-partitioned steps together scale up to 6 SUs (stream-analytics-parallelization).
      .refine((v) => v <= maxUsefulStreamingUnits(readQuery()), {
        error: () =>
          `must be at most ${maxUsefulStreamingUnits(readQuery())} (allowed: 1, 3, 6): no step of pipelines/streaming/apiPerformance.asaql is partitioned, and all non-partitioned steps of a job together scale up to 6 streaming units (stream-analytics-parallelization), so more would be billed and add no throughput; partition the query's steps first (docs/streaming.md, "Scaling the job")`,
      }),
    /** How late an event may arrive (event time) and still count in its window. */
    lateArrivalSeconds: int(0, 240, " seconds (late arrival tolerance; the 5-minute freshness SLA bounds it)"),
  }).default(STREAMING_DEV_DEFAULTS.streamAnalytics),
  relay: settings({
    instanceMemoryMB: z
      .number({ error: `must be one of ${list(FLEX_MEMORY_MB)} MB` })
      .refine((v) => (FLEX_MEMORY_MB as readonly number[]).includes(v), `must be one of ${list(FLEX_MEMORY_MB)} MB`),
    ...functionAppSchema.shape,
    /** Instances kept warm for the Synapse loader function (its own trigger group in the same app). */
    loaderAlwaysReady: int(0, 50, " (always-ready instances of the Synapse loader)").default(0),
    /** A zone-redundant Flex plan (as `ingestion.functions.zoneRedundant`): both groups at 2 always-ready or more. */
    zoneRedundant: z.boolean().default(false),
  })
    .superRefine((r, ctx) => {
      if (r.zoneRedundant)
        for (const key of ["alwaysReady", "loaderAlwaysReady"] as const)
          if (r[key] < ZONE_REDUNDANT_MIN_ALWAYS_READY)
            ctx.addIssue({
              code: "custom",
              path: [key],
              message: `must be at least ${ZONE_REDUNDANT_MIN_ALWAYS_READY} with relay.zoneRedundant (a zone-redundant Flex plan keeps and bills two always-ready instances per function group whatever the setting)`,
            });
    })
    .default(STREAMING_DEV_DEFAULTS.relay),
  /** Alert when Fact_API_Performance received no row for this many minutes (a log alert window size). */
  freshnessMinutes: z
    .number({ error: `must be one of ${list(FRESHNESS_MINUTES)} minutes (Azure Monitor log alert window sizes)` })
    .refine(
      (v) => (FRESHNESS_MINUTES as readonly number[]).includes(v),
      `must be one of ${list(FRESHNESS_MINUTES)} minutes (Azure Monitor log alert window sizes)`,
    )
    .default(STREAMING_DEV_DEFAULTS.freshnessMinutes),
}).superRefine((c, ctx) => {
  const eh = c.eventHubs;
  if (eh.sku === "Premium" && !(EVENT_HUBS_PREMIUM_UNITS as readonly number[]).includes(eh.capacity)) {
    ctx.addIssue({
      code: "custom",
      path: ["eventHubs", "capacity"],
      message: `must be one of ${list(EVENT_HUBS_PREMIUM_UNITS)} processing units on Premium`,
    });
  }
  const limits =
    eh.sku === "Premium" ? { partitions: 100, retentionHours: 2160 } : { partitions: 32, retentionHours: 168 };
  for (const key of ["partitions", "retentionHours"] as const) {
    if (eh[key] > limits[key]) {
      ctx.addIssue({
        code: "custom",
        path: ["eventHubs", key],
        message: `must be at most ${limits[key]} on ${eh.sku}`,
      });
    }
  }
});

/**
 * Who may write a function app's deployment package (config `functionPackageWrites`). Flex's deployment service
 * stores the package "in the configured deployment container" with the deployment storage identity, which is the
 * app's own (deployment-zip-push.md, Flex section), and any identity attached to an app is one its code can use. So
 * with a standing write grant, code running in the app can replace the package its next start boots.
 * - `deploy-window`: the app's blob role refuses every write in the package container (an ABAC condition,
 *   components/shared/functionAppSettings.ts); the deploy workflow grants the package writer role for the ship only, and
 *   removes it after (`npm run functions:ops -- ship`).
 * - `always`: no condition (the app's identity writes its package at any time), the fallback should Azure refuse
 *   something the window depends on; the workflow ships without a grant.
 */
export const FUNCTION_PACKAGE_WRITES = ["deploy-window", "always"] as const;
export type FunctionPackageWrites = (typeof FUNCTION_PACKAGE_WRITES)[number];
