/**
 * Runs index.ts against an Azure whose resources differ from the stack config (fixtures/programs/deployedElsewise.ts,
 * `scenario` as its header lists them), in the deployed view, and gives the run's error (if it ended with one), the
 * warnings it logged and the ARM reads it made (those of a run that ended with an error are not known).
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ARM_READ } from "../../tools/lib/azureMocks";
import { programOf } from "../../tools/lib/deployedView";
import { runProgram, type ProgramRun } from "../../tools/lib/engine";

export async function runDeployedElsewise(
  stack: "dev" | "prod",
  scenario: string,
  /** Edits the stack config the run reads (its keys as the engine holds them: `<project>:<key>` to JSON text). */
  editConfig?: (config: Record<string, string>) => void,
): Promise<{
  readonly error?: string;
  readonly warned: readonly string[];
  readonly reads: readonly string[];
  /** The logical names of the resources that registered, a run that ended with an error included. */
  readonly registered: readonly string[];
  /** What registered, with its inputs (a run that ended without an error). */
  readonly resources?: ProgramRun["resources"];
}> {
  const warned: string[] = [];
  const reads: string[] = [];
  const warn = pulumi.log.warn;
  pulumi.log.warn = (message: string) => {
    warned.push(message);
    return Promise.resolve();
  };
  process.env.DEPLOYED_ELSEWISE = scenario;
  try {
    const options = programOf({ stack, program: path.join(__dirname, "../fixtures/programs/deployedElsewise.ts") });
    const config = { ...options.config };
    editConfig?.(config);
    const run = await runProgram({ ...options, config });
    reads.push(...run.invokes.filter((i) => i.token === ARM_READ).map((i) => String(i.inputs.resourceId)));
    return { warned, reads, registered: registeredNames(), resources: run.resources };
  } catch (e) {
    return { error: String(e), warned, reads, registered: registeredNames() };
  } finally {
    pulumi.log.warn = warn;
    delete process.env.DEPLOYED_ELSEWISE;
  }
}

/** What the run's mock monitor registered (it holds every registration, of a failed run too, until the next run). */
function registeredNames(): string[] {
  const monitor = pulumi.runtime.getMonitor() as unknown as { resources?: Map<string, unknown> } | undefined;
  return [...(monitor?.resources?.keys() ?? [])].map((urn) => urn.slice(urn.lastIndexOf("::") + 2));
}

/** The error a run of `scenario` must end with (the check's refusal); fails the test if the run ended without one. */
export async function refusalOf(stack: "dev" | "prod", scenario: string): Promise<string> {
  const { error } = await runDeployedElsewise(stack, scenario);
  if (error === undefined) throw new Error(`the ${stack} preview of '${scenario}' ended without the refusal expected`);
  return error;
}
