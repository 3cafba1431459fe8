// Invariants of the data model that TypeScript cannot express. `validateModel` returns human-readable problems
// (empty = valid); the generator refuses to write SQL for an invalid model, and the tests feed it mutated models
// to prove each rule actually fires.
import type { DataModel } from "../types";
import { validateMappings } from "./mappings";
import { validateMaterializedViews, validateOlap } from "./olap";
import { validateAlwaysEncryptedKeys, validateErasure, validateOltp } from "./oltp";

export {
  forbiddenCardName,
  identifierWords,
  LAST4_PATTERN,
  maskExpression,
  PAN_DIGITS_PATTERN,
  personalDataName,
  referencedColumns,
} from "./common";
export {
  captureInstance,
  capturedColumns,
  cdcChangeTable,
  checkReferences,
  erasedColumns,
  erasingSubjects,
  erasureKeyColumns,
  erasureColumns,
  erasurePaths,
  rowOwners,
  type ErasurePath,
  extractedTables,
  maskDependencies,
} from "./derived";
export { validateMappings } from "./mappings";
export { validateMaterializedViews, validateOlap } from "./olap";
export { validateErasure, validateOltp } from "./oltp";

/** Everything wrong with the model; empty when it is valid. */
export function validateModel(model: DataModel): string[] {
  return [
    ...validateOltp(model.oltp),
    ...validateAlwaysEncryptedKeys(model.oltp),
    ...validateErasure(model.oltp),
    ...validateOlap(model.olap),
    ...validateMaterializedViews(model.olap),
    ...validateMappings(model),
  ];
}
