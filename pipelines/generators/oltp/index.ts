// Azure SQL Database (OLTP) scripts: schema (tables, keys, CHECKs, masks, encryption, foreign keys, indexes), change
// extraction (CDC and change tracking), reference data, and the ETL identity's access.
export { CDC_ROLE, DDM_PAGE, ETL_PRINCIPAL_VARIABLE } from "./names";
export { checkConstraints } from "./schema";
export { generateOltpDdl } from "./ddl";
export { addable, maskStatement } from "./guards";
export { generateChangeExtractionScript } from "./changeExtraction";
export { generateOltpReferenceData } from "./referenceData";
export { generateEtlAccessScript } from "./access";
