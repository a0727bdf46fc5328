#!/usr/bin/env bash
# npm run demo: the main job. Installs what is needed on a fresh Debian 12 machine (as root),
# builds the agents, then brings up a real two-node Pacemaker cluster with MooseFS in
# namespaces on this machine and fails it over while a client writes (test/cluster/demo.ts).
#   npm run demo -- --moosefs 4.59.2 [scenario...]   every MooseFS program at that version (default 3.0.117)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run build
node scripts/run-ts.mjs scripts/build-moosefs.ts
node scripts/run-ts.mjs test/cluster/demo.ts "$@"
