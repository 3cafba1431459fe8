/**
 * Where the suite's time goes, per spec file: with `TEST_CPU_REPORT=<file>` set, each spec file appends one line to
 * that file when it ends, `<CPU seconds>\t<wall seconds>\t<spec file>`, measured in the process that ran it (a worker
 * of the parallel run: the CPU of the processes a spec launches is not in it, the wall time is), from its first hook
 * to its last (its module's load is not in it); a serial run writes one line for all its files. Loaded before every spec (`.mocharc.json` `require`), a root hook
 * plugin mocha runs per spec file in each worker; without the variable it adds nothing.
 *
 *   TEST_CPU_REPORT=/tmp/cpu.tsv npm test && sort -rn /tmp/cpu.tsv | head
 */
import { appendFileSync } from "node:fs";
import * as path from "node:path";
import type { Context, RootHookObject } from "mocha";

const ROOT = path.resolve(__dirname, "..", "..");

/** One report line: CPU and wall seconds with one decimal, the spec file relative to the repository. */
export function reportLine(cpuMicros: number, wallMs: number, file: string): string {
  return `${(cpuMicros / 1e6).toFixed(1)}\t${(wallMs / 1000).toFixed(1)}\t${path.relative(ROOT, file)}\n`;
}

/** The root hooks that measure each spec file into `report`. */
export function cpuReportHooks(report: string): RootHookObject {
  let cpu: NodeJS.CpuUsage | undefined;
  let wall = 0;
  return {
    beforeAll() {
      cpu = process.cpuUsage();
      wall = Date.now();
    },
    afterAll(this: Context) {
      const used = process.cpuUsage(cpu);
      // The root suite holds the one spec file mocha gave the worker; a serial run (`npx mocha a.spec.ts b.spec.ts`)
      // runs the hooks once for all its files, so its one line names the first and counts the others.
      const files = [...new Set((this.test?.parent?.suites ?? []).flatMap((s) => (s.file ? [s.file] : [])))];
      if (files.length === 0) return;
      const line = reportLine(used.user + used.system, Date.now() - wall, files[0]);
      appendFileSync(report, files.length > 1 ? line.replace(/\n$/, ` (+${files.length - 1} files)\n`) : line);
    },
  };
}

export const mochaHooks: RootHookObject = process.env.TEST_CPU_REPORT
  ? cpuReportHooks(path.resolve(process.env.TEST_CPU_REPORT))
  : {};
