// The whole data model: OLTP (Azure SQL) + OLAP (Synapse) + the ETL mappings between them.
import { olapModel } from "./olap";
import { oltpModel } from "./oltp";
import type { DataModel } from "./types";

export const dataModel: DataModel = { oltp: oltpModel, olap: olapModel };
