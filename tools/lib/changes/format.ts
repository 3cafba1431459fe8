/** The planned changes for a person and for a job summary, and which of them fail `pulumi up`. */
import { defaultTypeToken, sdkTypeOf } from "../sdkType";
import type { PlannedChange } from "./common";
import { ENDPOINT_TYPES } from "./locks";

/**
 * A change `pulumi up` refuses or that destroys what it should keep: a protected resource's, a deletion under a lock,
 * or a rename.
 */
export const blocking = (c: PlannedChange) =>
  c.kind === "rename" || ((c.protected || c.locked !== undefined) && c.kind !== "update");

/** What makes a blocking change fail `pulumi up`, for its annotation's title (`npm run changes` in GitHub Actions). */
export function blockingTitle(c: PlannedChange): string {
  if (c.kind === "rename") return "renamed without an alias";
  const done = c.kind === "replace" ? "replaced" : c.kind === "forget" ? "forgotten (kept in Azure)" : "deleted";
  return c.protected
    ? `protected resource ${done}`
    : `${done} under the lock${(c.locked ?? []).length > 1 ? "s" : ""} ${(c.locked ?? []).map((l) => l.name).join(", ")}`;
}

/**
 * Data Factory pipelines generated from the data model (pipelines/etl): an update of one is a change of the model,
 * which the deploy carries on into the databases (`etl:ops schema-deploy` right after `up`).
 */
const MODEL_PIPELINE = /etl_(schema_deploy|extract)_/;

function line(c: PlannedChange, markdown: boolean): string {
  const code = (t: string) => (markdown ? `\`${t}\`` : t);
  const what =
    c.kind === "delete"
      ? "deleted"
      : c.kind === "forget"
        ? "no longer managed (kept in Azure on delete)"
        : c.kind === "rename"
          ? `renamed to ${code(c.renamedTo?.name ?? "?")} without an alias: Pulumi deletes it and creates the new one under the same Azure name; add ${code(`aliases: [{ name: "${c.name}" }]`)} to the new one (or ${code(`aliases: ["${c.urn}"]`)} if its parent or type changed)`
          : `replaced (${(c.because ?? []).join(", ")})`;
  const flags = [
    c.leaves ? leavesText(c, markdown) : undefined,
    c.stateful ? "stateful: its data goes with it" : undefined,
    c.protected ? "protected: `pulumi up` refuses it until a reviewed change unprotects it" : undefined,
    c.locked
      ? `${ENDPOINT_TYPES.includes(defaultTypeToken(c.type)) ? "its connection on its target goes with it, " : ""}under ${c.locked.map((l) => `the lock ${code(l.name)} (on ${code(l.scope)})`).join(" and ")}: Azure refuses its deletion (ScopeLocked), even with the lock dropped in the same change; lift ${c.locked.length > 1 ? "them" : "it"} in an \`up\` of ${c.locked.length > 1 ? "their" : "its"} own first (docs/operations.md, "Locks also block removing role assignments and diagnostic settings")`
      : undefined,
  ].filter(Boolean);
  const name = markdown ? `\`${c.name}\` (\`${c.type}\`)` : `${c.name} (${c.type})`;
  return `${markdown ? "- " : "  "}${name}: ${what}${flags.length ? `; ${flags.join("; ")}` : ""}`;
}

/** What a table-retention deployment that stops naming tables leaves in Azure, and the reset (docs/operations.md). */
function leavesText(c: PlannedChange, markdown: boolean): string {
  const code = (t: string) => (markdown ? `\`${t}\`` : t);
  const tables = (c.leaves?.tables ?? []).map(code).join(", ");
  return `${tables} keep${c.leaves?.tables.length === 1 ? "s" : ""} ${c.leaves?.tables.length === 1 ? "its" : "their"} long-term retention in Azure, which nothing then follows: return each to the workspace's in the same change (${code(c.leaves?.reset ?? "")}; docs/operations.md, "Long-term retention of the busiest tables")`;
}

/** What the head updates in place: one line, or bullets, naming them (at most `UPDATES_SHOWN`), and what follows. */
const UPDATES_SHOWN = 20;
function updatesText(updates: readonly PlannedChange[], markdown: boolean): string[] {
  if (updates.length === 0) return [];
  const names = updates
    .slice(0, UPDATES_SHOWN)
    .map((c) => (markdown ? `\`${c.name}\` (\`${c.type}\`)` : `${c.name} (${c.type})`));
  const more = updates.length > UPDATES_SHOWN ? ` and ${updates.length - UPDATES_SHOWN} more` : "";
  const model = updates.some(
    (c) => sdkTypeOf(c) === "azure-native:datafactory:Pipeline" && MODEL_PIPELINE.test(c.name),
  );
  const checked = updates.filter((c) => c.checked !== undefined);
  const disruptive = updates.filter((c) => c.disrupts !== undefined);
  const leaving = updates.filter((c) => c.leaves !== undefined);
  return [
    "",
    `${markdown ? "" : "  "}Updated in place (${updates.length}): ${names.join(", ")}${more}.`,
    ...(model
      ? [
          "",
          `${markdown ? "" : "  "}${markdown ? "**" : ""}The data model changes${markdown ? "**" : ""}: its generated pipelines are updated, and \`deploy.yml\` applies the generated SQL right after \`up\` (\`etl:ops schema-deploy\`). A column the scripts do not add (NOT NULL, defaulted, a tracked type 2 attribute) needs its migration before the merge; existing rows of a new column stay NULL until a full reload is requested after the deploy (pipelines/README.md, "Changing the schema later").`,
        ]
      : []),
    ...(disruptive.length > 0
      ? [
          "",
          `${markdown ? "" : "  "}${markdown ? "**" : ""}Interrupts a service${markdown ? "**" : ""} (deploy in a quiet window): ${disruptive
            .flatMap((c) =>
              (c.disrupts ?? []).map((d) => `${markdown ? `\`${c.name}\`` : c.name} (${d.path}) ${d.what}`),
            )
            .join("; ")}.`,
        ]
      : []),
    ...leaving.map(
      (c) =>
        `\n${markdown ? "" : "  "}${markdown ? "**" : ""}Tables left at their retention${markdown ? "**" : ""}: ${leavesText(c, markdown)} (${markdown ? `\`${c.name}\`` : c.name} no longer sets them).`,
    ),
    ...(checked.length > 0
      ? [
          "",
          `${markdown ? "" : "  "}${markdown ? "**" : ""}Checked against Azure at deploy${markdown ? "**" : ""}: ${checked
            .map((c) => `${markdown ? `\`${c.name}\`` : c.name} (${(c.checked ?? []).join(", ")})`)
            .join(
              ", ",
            )}. A preview or \`up\` of the deployed stack (prod's \`preview-prod\` before the approval, dev's \`up\`) compares ${checked.length === 1 ? "this change" : "these changes"} with what is deployed and stops where Azure would refuse ${checked.length === 1 ? "it" : "them"} in the middle of the \`up\` (a floor, the space in use, a locked policy, an occupied subnet, a certificate not in the vault; README, "Deploying for real"): the offline gate cannot.`,
        ]
      : []),
  ];
}

/** The list for a person or a job summary; says so when nothing is deleted or replaced. */
export function formatChanges(all: readonly PlannedChange[], stack: string, markdown: boolean): string {
  const changes = all.filter((c) => c.kind !== "update");
  const updates = updatesText(
    all.filter((c) => c.kind === "update"),
    markdown,
  );
  const title = markdown ? `### Deleted or replaced in Azure (${stack})` : `Deleted or replaced in Azure (${stack}):`;
  if (changes.length === 0)
    return [
      `${title}\n${markdown ? "\n" : "  "}Nothing this change deletes or replaces, as far as two exports show (the real preview also knows the provider's create-only properties).`,
      ...updates,
    ].join("\n");
  const risky = changes.filter((c) => c.protected || c.stateful).length;
  const blocked = changes.filter(blocking).length;
  // The ones that break the deploy or lose data first.
  const ordered = [...changes].sort((a, b) => Number(blocking(b)) - Number(blocking(a)));
  return [
    title,
    ...(markdown ? [""] : []),
    ...(blocked > 0
      ? [
          `${markdown ? "**" : "  "}${blocked} of them would fail \`pulumi up\` or delete what a rename meant to keep: fix them before merging.${markdown ? "**" : ""}`,
          ...(markdown ? [""] : []),
        ]
      : []),
    ...ordered.map((c) => line(c, markdown)),
    ...(markdown ? [""] : []),
    `${markdown ? "" : "  "}${changes.length} resource${changes.length === 1 ? "" : "s"}, ${risky} stateful or protected. A rename through an alias the program declares is a move, not listed; the real preview is the authority.`,
    ...updates,
  ].join("\n");
}
