/**
 * A later `pulumi up` of an unchanged stack must plan nothing. An input that follows the clock (a key's first expiry,
 * the budget's start month) or anything else that varies from one run of the program to the next would update its
 * resource on every `up` (a create-only one would fail there or be replaced), and every pull request's preview would
 * show the change. The program is run as deployed twice, 45 days apart (a month boundary crossed whatever today is),
 * and compared as `npm run changes` compares two exports (tools/lib/changes/: a path the resource ignores with
 * `ignoreChanges` keeps its old value, as Pulumi keeps it).
 */
import { strict as assert } from "node:assert";
import { plannedChanges } from "../tools/lib/changes";
import type { ResourceRecord } from "../tools/lib/policyRunner";
import { deployedRunLater, input, ofType, previewOf } from "./helpers/stacks";

const DAYS = 45;

/** The resources outside Azure (`random` values, `time` waits), which `plannedChanges` leaves out. */
const local = (rs: readonly ResourceRecord[]) =>
  rs.filter((r) => r.custom && !r.type.startsWith("azure-native:") && !r.type.startsWith("azuread:"));

describe("a later `pulumi up` of an unchanged stack", function () {
  for (const stack of ["dev", "prod"] as const) {
    describe(stack, () => {
      it(`plans no change ${DAYS} days later: the same resources, every input the same but the paths a resource ignores`, async () => {
        const first = (await previewOf(stack)).run;
        const later = await deployedRunLater(stack, DAYS);
        assert.deepEqual(
          later.resources.map((r) => r.urn),
          first.resources.map((r) => r.urn),
        );
        assert.deepEqual(plannedChanges(first.resources, later.resources), []);
        assert.deepEqual(
          local(later.resources).map((r) => [r.name, r.inputs]),
          local(first.resources).map((r) => [r.name, r.inputs]),
        );
        // A changed stack output shows in every preview too.
        assert.deepEqual(later.stackOutputs, first.stackOutputs);
      });

      it("ran on the later clock: the keys' first expiry and the budget's start month moved, each ignored once created", async () => {
        const first = (await previewOf(stack)).run;
        const later = await deployedRunLater(stack, DAYS);
        const keys = ofType(first.resources, "azure-native:keyvault:Key");
        assert.ok(keys.length > 0, "the stack has keys");
        for (const key of keys) {
          const moved = ofType(later.resources, key.type).find((r) => r.urn === key.urn) as ResourceRecord;
          const expiry = (r: ResourceRecord) => input(r, "properties.attributes.expires") as number;
          // A whole UTC day each (initialExpiry); 46 days when a UTC midnight fell between the two runs.
          assert.ok([DAYS, DAYS + 1].includes((expiry(moved) - expiry(key)) / 86_400), key.name);
          assert.deepEqual(moved.ignoreChanges, ["properties.attributes.expires"], key.name);
        }
        const [budget] = ofType(first.resources, "azure-native:costmanagement:Budget");
        const [laterBudget] = ofType(later.resources, "azure-native:costmanagement:Budget");
        assert.notEqual(input(laterBudget, "timePeriod.startDate"), input(budget, "timePeriod.startDate"));
        assert.deepEqual(laterBudget.ignoreChanges, ["timePeriod.startDate"]);
      });
    });
  }
});
