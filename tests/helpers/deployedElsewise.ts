/**
 * Runs index.ts against an Azure whose resources differ from the stack config (fixtures/programs/deployedElsewise.ts,
 * `scenario` as its header lists them), in the deployed view, and gives the run's error (if it ended with one) and
 * the warnings it logged.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { programOf } from "../../tools/lib/deployedView";
import { runProgram } from "../../tools/lib/engine";

export async function runDeployedElsewise(
  stack: "dev" | "prod",
  scenario: string,
): Promise<{ readonly error?: string; readonly warned: readonly string[] }> {
  const warned: string[] = [];
  const warn = pulumi.log.warn;
  pulumi.log.warn = (message: string) => {
    warned.push(message);
    return Promise.resolve();
  };
  process.env.DEPLOYED_ELSEWISE = scenario;
  try {
    await runProgram(programOf({ stack, program: path.join(__dirname, "../fixtures/programs/deployedElsewise.ts") }));
    return { warned };
  } catch (e) {
    return { error: String(e), warned };
  } finally {
    pulumi.log.warn = warn;
    delete process.env.DEPLOYED_ELSEWISE;
  }
}
