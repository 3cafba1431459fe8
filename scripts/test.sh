#!/usr/bin/env bash
# `npm test`: the static checks (tsc, eslint, prettier) and the mocha suite at once. The suite runs its spec files in
# parallel, one worker process per core (at least two, at most four), the policy specs together in one of them
# (tests/policies.spec.ts: their coverage check needs them all in one process); the static checks run beside it at the
# lowest CPU priority, filling what the workers leave idle (on two cores: 67 to 82 s, against 94 s with the suite in
# one process, when the suite had fewer tiers; 117 to 160 s on 2026-12-06, bound by CPU time: README.md). The static checks' output is printed after the suite's; the command fails if either fails.
set -u
cd "$(dirname "$0")/.."
log=$(mktemp)
# The static checks in a process group of their own (job control on while starting them), so that an interrupted run
# stops them too instead of leaving tsc, eslint and prettier running.
set -m
nice -n 19 bash scripts/static-checks.sh >"$log" 2>&1 &
static=$!
set +m
trap 'kill -- -"$static" 2>/dev/null; rm -f "$log"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
jobs=$(node -p 'Math.min(4, Math.max(2, require("node:os").availableParallelism()))')
node_modules/.bin/mocha --parallel --jobs "$jobs" 'tests/**/*.spec.ts' --ignore 'tests/policies/*.spec.ts'
unit=$?
wait "$static"
checks=$?
cat "$log"
if [ "$checks" -ne 0 ]; then echo "npm test: the static checks failed (output above)" >&2; fi
if [ "$unit" -ne 0 ]; then echo "npm test: the mocha suite failed" >&2; fi
[ "$checks" -eq 0 ] && [ "$unit" -eq 0 ]
