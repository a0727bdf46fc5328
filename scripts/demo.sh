#!/usr/bin/env bash
# npm run demo: installs what is needed on a fresh Debian 12 machine (as root), builds the
# agents, and runs the demonstration.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run build
node scripts/run-ts.mjs scripts/demo/mfsmaster.ts
