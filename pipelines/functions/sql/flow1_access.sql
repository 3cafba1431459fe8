-- Flow 1 database access for the ingestion function apps (run once per environment, after 01_oltp_schema.sql, and
-- again whenever this file changes: every statement checks first).
-- Run as a member of the Entra admin group over the private network (see pipelines/README.md), with the
-- identities' names from the stack (id-<workload>-<env>-<region>-payapi / -fraud), e.g.:
--   sqlcmd -S <server>.database.windows.net -d <db> --authentication-method ActiveDirectoryDefault -b \
--     -v PaymentApiIdentity="id-pay-prod-weu-payapi" FraudScoringIdentity="id-pay-prod-weu-fraud" \
--     -i pipelines/functions/sql/flow1_access.sql
-- Idempotent: every statement checks first.
SET NOCOUNT ON;
SET XACT_ABORT ON;

-- The Azure SQL trigger reads change tracking (not CDC); change tracking is allowed on ledger tables (not on their
-- history tables). The retention is the database's, shared with the ETL's extraction: the same 7 days as
-- pipelines/sql/02_oltp_change_extraction.sql, whichever script runs first (a shorter one would cut the ETL's window).
IF NOT EXISTS (SELECT 1 FROM sys.change_tracking_databases WHERE database_id = DB_ID())
    ALTER DATABASE CURRENT SET CHANGE_TRACKING = ON (CHANGE_RETENTION = 7 DAYS, AUTO_CLEANUP = ON);
IF NOT EXISTS (SELECT 1 FROM sys.change_tracking_tables WHERE object_id = OBJECT_ID(N'dbo.Payment'))
    ALTER TABLE dbo.Payment ENABLE CHANGE_TRACKING;

-- Payment API: inserts payments and reads back the one a retried key names (src/lib/paymentStore.ts). No UPDATE:
-- the SQL output binding that needed it for its upsert is gone, and a grant from an earlier run is taken back.
IF DATABASE_PRINCIPAL_ID(N'$(PaymentApiIdentity)') IS NULL
    CREATE USER [$(PaymentApiIdentity)] FROM EXTERNAL PROVIDER;
GRANT SELECT, INSERT ON dbo.Payment TO [$(PaymentApiIdentity)];
REVOKE UPDATE ON dbo.Payment FROM [$(PaymentApiIdentity)];
-- A new payment only for an active merchant, in a currency still offered (INSERT_PAYMENT_SQL): these columns only.
-- A database set up before these two grants: re-run this script (until then the API skips both checks and logs it).
GRANT SELECT (MerchantId, Status) ON dbo.Merchant TO [$(PaymentApiIdentity)];
GRANT SELECT (CurrencyCode, IsActive) ON dbo.Currency TO [$(PaymentApiIdentity)];

-- Fraud scorer: reads new payments through change tracking and keeps its leases in schema az_func (the trigger
-- creates az_func.GlobalState and one leases table per trigger on first start). The schema is the scorer's own, not
-- dbo's: with ALTER on a dbo-owned schema it could put a trigger on its lease table that, owned by dbo, would reach
-- every dbo table through ownership chaining ("A user with ALTER permission on a schema can use ownership chaining
-- to access securables in other schemas", learn.microsoft.com/sql/t-sql/statements/grant-schema-permissions-transact-sql).
-- As the owner it needs no grant on the schema (and the owner cannot be granted one); CREATE TABLE is database-wide.
IF DATABASE_PRINCIPAL_ID(N'$(FraudScoringIdentity)') IS NULL
    CREATE USER [$(FraudScoringIdentity)] FROM EXTERNAL PROVIDER;
GRANT SELECT, VIEW CHANGE TRACKING ON dbo.Payment TO [$(FraudScoringIdentity)];
IF SCHEMA_ID(N'az_func') IS NULL
    EXEC (N'CREATE SCHEMA az_func AUTHORIZATION [$(FraudScoringIdentity)]');
ELSE IF (SELECT principal_id FROM sys.schemas WHERE name = N'az_func') <> DATABASE_PRINCIPAL_ID(N'$(FraudScoringIdentity)')
    ALTER AUTHORIZATION ON SCHEMA::az_func TO [$(FraudScoringIdentity)];
GRANT CREATE TABLE TO [$(FraudScoringIdentity)];
GO
