#!/usr/bin/env node
// Checks out the commit a stack was last updated from, for the nightly drift check (.github/workflows/drift.yml):
//
//   node scripts/deployed-commit.cjs <org>/payments-data-platform/<stack>
//
// Drift is the cloud against what was deployed, not against the default branch: prod lags it while a deploy waits for
// approval, after a rejected or failed one. The Pulumi CLI records the commit of each update in the update's
// environment (`git.head`; `git.dirty` when the tree had uncommitted changes), which `pulumi stack history --json`
// prints newest first (pulumi/pulumi pkg/cmd/pulumi/stack/stack_history.go, `updateInfoJSON`). The newest operation
// of kind `update` is the deployed code: refreshes and previews move no code. An update with no recorded commit, or
// one this clone does not have, leaves the checkout where it is, with a warning (undeployed changes then show as
// drift). Plain CommonJS with no dependency: it runs before `npm ci`, on the default branch's checkout. `PULUMI` names
// the CLI (tests put a fake one there).
"use strict";
const { execFileSync } = require("node:child_process");

/** How many operations of the stack's history to read: the newest update is among them unless refreshes pile up. */
const HISTORY_PAGE = 20;

/**
 * What to check out, from `pulumi stack history --json` and whether this clone has a commit: `{ commit }` to check
 * out, or `{ commit: undefined }` to stay; with the GitHub annotations to print.
 */
function decide(history, hasCommit) {
  const update = (Array.isArray(history) ? history : []).find((op) => op && op.kind === "update");
  const env = (update && update.environment) || {};
  const head = typeof env["git.head"] === "string" ? env["git.head"] : "";
  if (!update)
    return {
      annotations: [
        `::warning::no update among the stack's last ${HISTORY_PAGE} operations: checking the default branch`,
      ],
    };
  if (!/^[0-9a-f]{7,64}$/.test(head))
    return {
      annotations: [
        "::warning::the stack's last update recorded no commit (run outside a git checkout): checking the default branch",
      ],
    };
  if (!hasCommit(head))
    return {
      annotations: [
        `::warning::the stack's last update ran from ${head}, which this repository does not have: checking the default branch (undeployed changes show as drift)`,
      ],
    };
  const annotations = [`::notice::checking the commit of the stack's last update, ${head}`];
  if (env["git.dirty"] === "true")
    annotations.push(
      `::warning::the stack's last update ran from ${head} with uncommitted changes: they show as drift`,
    );
  return { commit: head, annotations };
}

function main(argv) {
  const stackRef = argv[0];
  if (!stackRef || !/^[^/\s]+\/[^/\s]+\/[^/\s]+$/.test(stackRef)) {
    process.stderr.write("usage: node scripts/deployed-commit.cjs <org>/<project>/<stack>\n");
    return 2;
  }
  const pulumi = process.env.PULUMI || "pulumi";
  const out = execFileSync(
    pulumi,
    ["stack", "history", "--stack", stackRef, "--json", "--page-size", String(HISTORY_PAGE)],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  const hasCommit = (sha) => {
    try {
      execFileSync("git", ["cat-file", "-e", `${sha}^{commit}`], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  };
  const { commit, annotations } = decide(JSON.parse(out || "[]"), hasCommit);
  for (const line of annotations) process.stdout.write(`${line}\n`);
  if (commit) execFileSync("git", ["checkout", "--quiet", "--detach", commit], { stdio: "inherit" });
  return 0;
}

module.exports = { decide, HISTORY_PAGE };

if (require.main === module) process.exitCode = main(process.argv.slice(2));
