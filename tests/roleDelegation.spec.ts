/**
 * docs/ci.md tells a tenant that constrains which roles the deploy identities may assign (a delegation condition) which
 * roles `pulumi up` assigns: the built-in roles of components/shared/rbac.ts and the function hosts' storage roles, and
 * the program's own custom roles, never a privileged administrator role. This holds the doc to both stacks.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { BuiltInRoles } from "../components/shared/rbac";
import { HOST_STORAGE_ROLES } from "../components/shared/functionAppSettings";
import { PRIVILEGED_ROLES } from "../policies/rules/authorization";
import { ofType, previewOf } from "./helpers/stacks";

const ASSIGNMENT = "azure-native:authorization:RoleAssignment";
const DEFINITION = "azure-native:authorization:RoleDefinition";
const guid = (id: unknown) => String(id).split("/").pop()?.toLowerCase() ?? "";

describe("the roles `pulumi up` assigns, as docs/ci.md lists them for a delegation condition", function () {
  this.timeout(300_000);

  for (const stack of ["dev", "prod"] as const) {
    it(`${stack}: every assignment's role is a listed built-in role or one of the stack's own custom roles, none privileged`, async () => {
      const { run } = await previewOf(stack);
      const listed = new Set<string>([...Object.values(BuiltInRoles), ...Object.values(HOST_STORAGE_ROLES)]);
      const custom = new Set(ofType(run.resources, DEFINITION).map((d) => guid(d.inputs.roleDefinitionId)));
      const assignments = ofType(run.resources, ASSIGNMENT);
      assert.ok(assignments.length > 20, `${assignments.length} assignments`);
      const kinds = new Set<string>();
      for (const a of assignments) {
        const role = guid(a.inputs.roleDefinitionId);
        assert.ok(!PRIVILEGED_ROLES[role], `${a.name} assigns ${PRIVILEGED_ROLES[role]}`);
        assert.ok(
          listed.has(role) || custom.has(role),
          `${a.name}: role ${role} is neither listed nor the stack's own`,
        );
        kinds.add(listed.has(role) ? "built-in" : "custom");
        assert.ok(
          ["ServicePrincipal", "Group"].includes(String(a.inputs.principalType)),
          `${a.name}: principal type ${String(a.inputs.principalType)}`,
        );
      }
      assert.deepEqual([...kinds].sort(), ["built-in", "custom"]);
    });
  }

  it("docs/ci.md names where those roles are defined and the portal condition that allows them all", () => {
    const doc = fs.readFileSync(path.resolve(__dirname, "../docs/ci.md"), "utf8").replace(/\s+/g, " ");
    for (const text of [
      "`components/shared/rbac.ts` (`BuiltInRoles`",
      "`components/shared/functionAppSettings.ts`",
      "`customRole` in `components/shared/rbac.ts`",
      "for principal types ServicePrincipal and Group",
      "azure-native-authorization-roleassignment-disallow-privileged-role",
    ])
      assert.ok(doc.includes(text), text);
  });
});
