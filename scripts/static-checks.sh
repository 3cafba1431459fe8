#!/usr/bin/env bash
# Type-check, lint and format-check in parallel (they are independent); fails if any of them fails.
set -u
cd "$(dirname "$0")/.."
bin=node_modules/.bin
"$bin/tsc" --noEmit & tsc=$!
"$bin/eslint" . & lint=$!
"$bin/prettier" --check --log-level warn . & fmt=$!
status=0
wait "$tsc" || { echo "static checks: tsc failed" >&2; status=1; }
wait "$lint" || { echo "static checks: eslint failed" >&2; status=1; }
wait "$fmt" || { echo "static checks: prettier found unformatted files (npm run format)" >&2; status=1; }
exit "$status"
