// GDPR erasure (Art. 17, the seed's "right to be forgotten"): one pipeline that takes a customer id and erases or
// pseudonymises that person everywhere the platform keeps them, records each step for the audit trail, and can run
// again safely (every step is idempotent). The design is in docs/etl.md ("GDPR erasure").
import type { DataModel, ErasureSubject } from "../model/types";
import type { AdfResource } from "./contract";
import {
  type Activity,
  DATASETS,
  datasetRef,
  dependsOn,
  forEach,
  genericActivity,
  ifCondition,
  lookupProcedure,
  pipeline,
  POLICIES,
  setReturnValue,
  setVariable,
  storedProcedure,
} from "./adf";
import { FOLDERS, globalParameter, OLTP_PROCEDURES, PIPELINES, POOL_PROCEDURES, rawFolder } from "./names";
import { COSMOS_ERASURE, subjectCosmosTargets, type CosmosTarget } from "./cosmosErasure";
import { erasureNames, markedSubject } from "./sql/oltp";

export { COSMOS_ERASURE, subjectCosmosTargets } from "./cosmosErasure";

const CUSTOMER = "@variables('customerId')";
const REQUEST = "@variables('requestId')";
const secure = { ...POLICIES.sql, secure: true };

/** A Copy that replaces the matching items by expiring stubs (upsert), returning how many it touched. */
function expireItems(
  name: string,
  container: string,
  query: string,
  o: { dependsOn?: ReturnType<typeof dependsOn> } = {},
): Activity {
  return {
    ...genericActivity(
      name,
      "Copy",
      {
        source: { type: "CosmosDbSqlApiSource", query, preferredRegions: [] },
        sink: { type: "CosmosDbSqlApiSink", writeBehavior: "upsert" },
        enableStaging: false,
      },
      { policy: { ...POLICIES.copy, retry: 2, secure: true }, dependsOn: o.dependsOn ?? [] },
    ),
    inputs: [datasetRef(DATASETS.cosmosContainer, { container })],
    outputs: [datasetRef(DATASETS.cosmosContainer, { container })],
  };
}

/** The stub's keys: the id and the partition key paths, so the upsert replaces the item in its partition. */
const stubKeys = (c: CosmosTarget) =>
  ["id", ...c.partitionKeys.filter((k) => k !== "id")].map((k) => `c.${k}`).join(", ");

/** The stubs of the items a referencing row keys (`<prefix><key>`), the key read from the expression `value`. */
const referenceQuery = (c: CosmosTarget & { readonly prefix: string }, value: string) =>
  `@concat('SELECT ${stubKeys(c)}, 1 AS ttl FROM c WHERE c.${c.field} = ''${c.prefix}', ${value}, '''')`;

const audit = (name: string, store: string, action: string, items: string, after: string): Activity =>
  storedProcedure(
    name,
    "oltp",
    OLTP_PROCEDURES.auditErasure,
    {
      RequestId: { value: REQUEST, type: "String" },
      CustomerId: { value: CUSTOMER, type: "Int64" },
      Store: { value: store, type: "String" },
      Action: { value: action, type: "String" },
      Items: { value: items, type: "Int64" },
    },
    { dependsOn: dependsOn(after), policy: secure },
  );

/**
 * The opening steps of every erasure pipeline: the subject's key, checked as a number (`int()` fails on anything
 * else) into the secure variable `parameter`, the request id (the run's when none is given), then the subject's
 * generated OLTP procedure with both.
 */
function eraseOltpSteps(key: string, parameter: string, procedure: string): Activity[] {
  return [
    setVariable(key, parameter, `@string(int(pipeline().parameters.${parameter}))`, { secure: true }),
    setVariable(
      "RequestId",
      "requestId",
      "@if(empty(pipeline().parameters.requestId), pipeline().RunId, pipeline().parameters.requestId)",
    ),
    storedProcedure(
      "EraseOltp",
      "oltp",
      procedure,
      { [key]: { value: `@variables('${parameter}')`, type: "Int64" }, RequestId: { value: REQUEST, type: "String" } },
      { dependsOn: dependsOn(key, "RequestId"), policy: secure },
    ),
  ];
}

export function erasurePipeline(): AdfResource {
  const activities: Activity[] = [
    // int() fails on anything that is not a number: the id reaches SQL and Cosmos DB queries only as digits.
    ...eraseOltpSteps("CustomerId", "customerId", OLTP_PROCEDURES.eraseCustomer),
    lookupProcedure(
      "SubjectReferences",
      "oltp",
      OLTP_PROCEDURES.subjectReferences,
      { CustomerId: { value: CUSTOMER, type: "Int64" } },
      { firstRowOnly: false, dependsOn: dependsOn("EraseOltp"), policy: secure },
    ),
    storedProcedure(
      "EraseWarehouse",
      "warehouse",
      POOL_PROCEDURES.eraseCustomer,
      { CustomerKey: { value: CUSTOMER, type: "Int64" }, RequestId: { value: REQUEST, type: "String" } },
      { dependsOn: dependsOn("EraseOltp"), policy: secure },
    ),
  ];
  for (const c of COSMOS_ERASURE.bySubject) {
    const name = `Expire_${c.container}`;
    activities.push(
      expireItems(
        name,
        c.container,
        `@concat('SELECT ${stubKeys(c)}, 1 AS ttl FROM c WHERE c.${c.field} = ', variables('customerId'), ' OR c.${c.field} = ''', variables('customerId'), '''')`,
        { dependsOn: dependsOn("EraseOltp") },
      ),
      audit(
        `Audit_${c.container}`,
        "cosmos",
        `${c.container}: items with ${c.field} = the customer replaced by expiring stubs`,
        `@activity('${name}').output.rowsCopied`,
        name,
      ),
    );
  }
  for (const c of COSMOS_ERASURE.byReference) {
    const name = `Expire_${c.container}`;
    activities.push(
      forEach(
        `Each_${c.container}`,
        "@activity('SubjectReferences').output.value",
        [
          ifCondition(
            `Is_${c.table}`,
            `@equals(item().TableName, '${c.table}')`,
            [expireItems(name, c.container, referenceQuery(c, "item().KeyValue"))],
            [],
          ),
        ],
        { dependsOn: dependsOn("SubjectReferences"), batchCount: 10 },
      ),
      audit(
        `Audit_${c.container}`,
        "cosmos",
        `${c.container}: the items of the customer's ${c.table} rows replaced by expiring stubs`,
        "@length(activity('SubjectReferences').output.value)",
        `Each_${c.container}`,
      ),
    );
  }
  // Lake: the raw-zone partitions holding the customer's rows (recorded by the pool at each load) are deleted.
  activities.push(
    lookupProcedure(
      "LakePartitions",
      "warehouse",
      POOL_PROCEDURES.subjectLakePartitions,
      { CustomerKey: { value: CUSTOMER, type: "Int64" } },
      { firstRowOnly: false, dependsOn: dependsOn("EraseWarehouse"), policy: secure },
    ),
    forEach(
      "EachPartition",
      "@activity('LakePartitions').output.value",
      [
        genericActivity(
          "Exists",
          "GetMetadata",
          { dataset: lakeFolder(), fieldList: ["exists"], storeSettings: { type: "AzureBlobFSReadSettings" } },
          { policy: secure },
        ),
        ifCondition(
          "IfExists",
          "@activity('Exists').output.exists",
          [
            genericActivity(
              "DeletePartition",
              "Delete",
              {
                dataset: lakeFolder(),
                enableLogging: false,
                storeSettings: { type: "AzureBlobFSReadSettings", recursive: true },
              },
              { policy: secure },
            ),
          ],
          [],
          { dependsOn: dependsOn("Exists") },
        ),
      ],
      { dependsOn: dependsOn("LakePartitions"), batchCount: 10 },
    ),
    storedProcedure(
      "ForgetPartitions",
      "warehouse",
      POOL_PROCEDURES.forgetLakePartitions,
      {
        CustomerKey: { value: CUSTOMER, type: "Int64" },
        RequestId: { value: REQUEST, type: "String" },
        Partitions: { value: "@length(activity('LakePartitions').output.value)", type: "Int64" },
      },
      { dependsOn: dependsOn("EachPartition"), policy: secure },
    ),
    setReturnValue(
      "ReturnAudit",
      {
        requestId: REQUEST,
        status: "erased",
        lakePartitionsDeleted: "@string(length(activity('LakePartitions').output.value))",
      },
      {
        dependsOn: dependsOn(
          "ForgetPartitions",
          ...COSMOS_ERASURE.bySubject.map((c) => `Audit_${c.container}`),
          ...COSMOS_ERASURE.byReference.map((c) => `Audit_${c.container}`),
        ),
      },
    ),
  );
  return pipeline(PIPELINES.erasure, {
    description:
      "GDPR erasure of one customer (customerId): OLTP personal and card columns set to NULL and ErasedAt set " +
      "(payments, refunds and disputes keep their non-personal fields), every warehouse version of the customer " +
      "pseudonymised, Cosmos DB items expired, the raw-zone partitions holding them deleted; each step audited in " +
      "etl.ErasureAudit (OLTP and pool). Idempotent: run it again to retry or to verify. See docs/etl.md.",
    folder: FOLDERS.gdpr,
    // The customer id never shows in the run history: a SecureString parameter, and every step secured.
    parameters: { customerId: { type: "SecureString" }, requestId: { type: "String", defaultValue: "" } },
    variables: { customerId: { type: "String" }, requestId: { type: "String" } },
    concurrency: 4,
    activities,
  });
}

/**
 * The erasure of every other subject of the model (the merchant's contact person): its generated OLTP procedure, one
 * pipeline each (`gdpr_erasure_<subject>`, parameters `<key>` and `requestId`). Their personal columns never leave
 * the OLTP database — never extracted (the ETL identity cannot read them), so neither the lake nor the warehouse nor
 * Cosmos DB holds them — and the procedure is the whole erasure; it audits in `etl.ErasureAudit_<subject>`.
 */
export function subjectErasurePipelines(model: DataModel): AdfResource[] {
  const marked = markedSubject(model);
  return model.oltp.erasureSubjects.filter((s) => s !== marked).map((s) => subjectErasurePipeline(model, s));
}

function subjectErasurePipeline(model: DataModel, subject: ErasureSubject): AdfResource {
  const names = erasureNames(model, subject);
  const parameter = names.key.charAt(0).toLowerCase() + names.key.slice(1);
  // Its Cosmos DB items (a guest's card: its fraud_features item), expired as the customer's erasure expires its cards'.
  const cosmos = subjectCosmosTargets(subject).flatMap((c): Activity[] => {
    const name = `Expire_${c.container}`;
    return [
      expireItems(name, c.container, referenceQuery(c, `variables('${parameter}')`), {
        dependsOn: dependsOn("EraseOltp"),
      }),
      storedProcedure(
        `Audit_${c.container}`,
        "oltp",
        OLTP_PROCEDURES.erase(names.auditProcedure),
        {
          [names.key]: { value: `@variables('${parameter}')`, type: "Int64" },
          RequestId: { value: REQUEST, type: "String" },
          Store: { value: "cosmos", type: "String" },
          Action: { value: `${c.container}: the ${subject.table} item replaced by an expiring stub`, type: "String" },
          Items: { value: `@activity('${name}').output.rowsCopied`, type: "Int64" },
        },
        { dependsOn: dependsOn(name), policy: secure },
      ),
    ];
  });
  return pipeline(PIPELINES.subjectErasure(subject.name), {
    description:
      `GDPR erasure of one ${subject.name} (${parameter}): etl.${names.procedure} sets the classified columns of ` +
      `dbo.${subject.table} to NULL and audits in etl.${names.auditTable}. ${subject.description} Idempotent: run it ` +
      "again to retry or to verify. See docs/etl.md.",
    folder: FOLDERS.gdpr,
    parameters: { [parameter]: { type: "SecureString" }, requestId: { type: "String", defaultValue: "" } },
    variables: { [parameter]: { type: "String" }, requestId: { type: "String" } },
    concurrency: 4,
    activities: [
      // int() fails on anything that is not a number: the key reaches SQL and Cosmos DB queries only as digits.
      ...eraseOltpSteps(names.key, parameter, OLTP_PROCEDURES.erase(names.procedure)),
      ...cosmos,
      setReturnValue(
        "ReturnAudit",
        { requestId: REQUEST, status: "erased" },
        { dependsOn: dependsOn("EraseOltp", ...cosmos.filter((a) => a.name.startsWith("Audit_")).map((a) => a.name)) },
      ),
    ],
  });
}

/** A raw partition's folder, for the table and run date of the `EachPartition` item: where the extract wrote it. */
function lakeFolder() {
  const parts = rawFolder("\u0000").split("\u0000");
  if (parts.length !== 2 || parts.some((p) => p.includes("'")))
    throw new Error(`rawFolder must name the table once and hold no quote: ${JSON.stringify(rawFolder("<table>"))}`);
  const [before, after] = parts;
  return datasetRef(DATASETS.lakeFolder, {
    fileSystem: `@${globalParameter("lakeRawFileSystem")}`,
    folderPath: `@concat('${before}', item().TableName, '${after}', item().RunDate)`,
  });
}
