#!/usr/bin/env bash
# The whole test suite, from a fresh machine: install what is needed, build, type-check, lint, test.
# The live cluster runs last and alone: its failover figures depend on the CPU it gets, and
# it owns fixed namespace names.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run build
node scripts/run-ts.mjs scripts/build-moosefs.ts
npx tsc --noEmit
npx eslint .
if [ "$#" -gt 0 ]; then
  exec npx vitest run "$@"
fi
npx vitest run --exclude 'test/cluster/**'
npx vitest run test/cluster
