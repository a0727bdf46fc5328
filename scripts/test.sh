#!/usr/bin/env bash
# The whole test suite, from a fresh machine: install what is needed, build, type-check, test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run build
npx tsc --noEmit
npx vitest run "$@"
