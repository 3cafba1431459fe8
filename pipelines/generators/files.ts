// The generated SQL files, in the order they are applied (pipelines/generate.ts writes them; the ETL's schema
// deployment pipeline applies them).
import type { DataModel } from "../model/types";
import { generateColumnEncryptionKeysScript, generateColumnMasterKeyScript } from "./alwaysEncrypted";
import {
  generateDashboardsScript,
  generateOlapAnalystAccessScript,
  generateOlapDdl,
  generateOlapEtlAccessScript,
  generateOlapReferenceData,
  generateOlapStreamingAccessScript,
  OLAP_ANALYST_ACCESS_FILE,
  OLAP_STREAMING_ACCESS_FILE,
} from "./olap";
import {
  generateChangeExtractionScript,
  generateEtlAccessScript,
  generateOltpDdl,
  generateOltpReferenceData,
} from "./oltp";
import { generateOltpEtlScript, OLTP_ETL_FILE } from "../etl/sql/oltp";
import { generatePoolEtlScript, POOL_ETL_FILE } from "../etl/sql/pool";

export interface GeneratedFile {
  file: string;
  content: string;
}

/** All generated SQL (and PowerShell) files, in the order they are applied; LF only, one trailing newline. */
export function generateSqlFiles(model: DataModel): GeneratedFile[] {
  const files: GeneratedFile[] = [
    { file: "00_oltp_column_master_key.sql", content: generateColumnMasterKeyScript(model.oltp) },
    { file: "00_oltp_column_encryption_keys.ps1", content: generateColumnEncryptionKeysScript(model.oltp) },
    { file: "01_oltp_schema.sql", content: generateOltpDdl(model.oltp) },
    { file: "02_oltp_change_extraction.sql", content: generateChangeExtractionScript(model.oltp) },
    { file: "03_oltp_reference_data.sql", content: generateOltpReferenceData(model.oltp) },
    { file: "04_oltp_etl_access.sql", content: generateEtlAccessScript(model.oltp) },
    { file: OLTP_ETL_FILE, content: generateOltpEtlScript(model) },
    { file: "10_olap_schema.sql", content: generateOlapDdl(model.olap) },
    { file: "11_olap_reference_data.sql", content: generateOlapReferenceData(model.olap) },
    { file: "12_olap_dashboards.sql", content: generateDashboardsScript(model.olap) },
    { file: "13_olap_etl_access.sql", content: generateOlapEtlAccessScript(model.olap) },
    { file: POOL_ETL_FILE, content: generatePoolEtlScript(model) },
    { file: OLAP_STREAMING_ACCESS_FILE, content: generateOlapStreamingAccessScript(model.olap) },
    { file: OLAP_ANALYST_ACCESS_FILE, content: generateOlapAnalystAccessScript(model.olap) },
  ];
  return files.map((f) => ({ file: f.file, content: f.content.replace(/\r\n/g, "\n").replace(/\n+$/, "") + "\n" }));
}

/** Which database a generated SQL file is applied to. */
export const targetOf = (file: string): "oltp" | "warehouse" => (/^0\d_/.test(file) ? "oltp" : "warehouse");
