#!/usr/bin/env bash
# Type-check, lint and format-check in parallel (they are independent); fails if any of them fails. Each keeps a
# cache under node_modules/.cache/static-checks (tsc's build info, eslint's and prettier's results by file content),
# so a run after a small change checks only what changed and what depends on it (a clean clone starts without one).
# Prettier reads TypeScript with its babel-ts parser (.prettierrc.json): the same output as its typescript parser on
# every file here, for about a third less CPU time on a clean clone (28 s to 20 s on two cores).
set -u
cd "$(dirname "$0")/.."
bin=node_modules/.bin
cache=node_modules/.cache/static-checks
"$bin/tsc" --noEmit --incremental --tsBuildInfoFile "$cache/tsconfig.tsbuildinfo" & tsc=$!
"$bin/eslint" --cache --cache-strategy content --cache-location "$cache/eslint/" . & lint=$!
"$bin/prettier" --check --log-level warn --cache --cache-strategy content --cache-location "$cache/prettier" . & fmt=$!
status=0
wait "$tsc" || { echo "static checks: tsc failed" >&2; status=1; }
wait "$lint" || { echo "static checks: eslint failed" >&2; status=1; }
wait "$fmt" || { echo "static checks: prettier found unformatted files (npm run format)" >&2; status=1; }
exit "$status"
