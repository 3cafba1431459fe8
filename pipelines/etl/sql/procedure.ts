// A stored procedure defined idempotently, the same way in Azure SQL and in a dedicated pool (which has no CREATE OR
// ALTER): a stub created when missing (its own batch), then ALTER with the generated body.
import { indent, q } from "../../generators/tsql";
import { ETL_SCHEMA } from "../names";

export function procedure(name: string, params: string[], body: string[], comments: string[] = []): string[] {
  const ref = `${q(ETL_SCHEMA)}.${q(name)}`;
  return [
    [
      `IF OBJECT_ID(N'${ETL_SCHEMA}.${name}', N'P') IS NULL`,
      `    EXEC(N'CREATE PROCEDURE ${ref} AS BEGIN SET NOCOUNT ON; END');`,
    ].join("\n"),
    [
      ...comments.map((c) => `-- ${c}`),
      `ALTER PROCEDURE ${ref}${params.length ? `\n${params.map((p, i) => `    ${p}${i < params.length - 1 ? "," : ""}`).join("\n")}` : ""}`,
      "AS",
      "BEGIN",
      indent(body.join("\n")),
      "END;",
    ].join("\n"),
  ];
}
