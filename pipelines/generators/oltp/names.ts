// Names the OLTP scripts share: the CDC reader role, the ETL identity's sqlcmd variable, the masking page.

export const CDC_ROLE = "cdc_reader";
/** sqlcmd variable naming the ETL identity (the Data Factory managed identity's display name) in 04. */
export const ETL_PRINCIPAL_VARIABLE = "EtlPrincipalName";
export const DDM_PAGE = "https://learn.microsoft.com/sql/relational-databases/security/dynamic-data-masking";
