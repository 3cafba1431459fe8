#!/usr/bin/env bash
# `npm test`: the static checks (tsc, eslint, prettier) and the mocha suite at once. The suite is the longer of the
# two and mostly one thread, so the static checks run beside it at the lowest CPU priority: they fill the core the
# suite leaves idle instead of slowing it (on two cores, about 90 s instead of 120 s one after the other). The static
# checks' output is printed after the suite's; the command fails if either fails.
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
node_modules/.bin/mocha 'tests/**/*.spec.ts'
unit=$?
wait "$static"
checks=$?
cat "$log"
if [ "$checks" -ne 0 ]; then echo "npm test: the static checks failed (output above)" >&2; fi
if [ "$unit" -ne 0 ]; then echo "npm test: the mocha suite failed" >&2; fi
[ "$checks" -eq 0 ] && [ "$unit" -eq 0 ]
