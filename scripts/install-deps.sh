#!/usr/bin/env bash
# Installs everything mfs-ocf needs on a fresh Debian 12 machine (as root), idempotently:
# the Debian packages (apt-get update once, only when something is missing), then npm ci.
set -euo pipefail
cd "$(dirname "$0")/.."

# Cluster stack, MooseFS, DRBD tools, packaging and checking tools. fuse3 for mfsmount,
# kmod because ocf:heartbeat:Filesystem insists on modprobe, psmisc for fuser. pcs and
# fence-agents: mfs-crm's tests load its pcs output and its fence devices (fence_ipmilan).
# build-essential, pkg-config, libfuse3-dev, zlib1g-dev: MooseFS 4 is built from source for the
# version matrix (scripts/build-moosefs.ts). user-mode-linux: the live cluster's real-kernel nodes
# (Linux 6.1 with its DRBD 8.4 module, test/cluster/uml.ts).
PACKAGES=(
  pacemaker pacemaker-cli-utils corosync crmsh resource-agents
  moosefs-master moosefs-metalogger moosefs-chunkserver moosefs-client moosefs-cli
  drbd-utils rpm rpmlint lintian libxml2-utils fuse3 kmod psmisc iproute2 util-linux
  binutils procps tini pcs fence-agents
  build-essential pkg-config libfuse3-dev zlib1g-dev python3 user-mode-linux
)

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PACKAGES[@]}"
fi

# npm ci, unless node_modules was installed from this very package-lock.json (npm ci would
# delete and rewrite it, under the feet of anything running from it).
stamp=node_modules/.mfs-ocf-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -d node_modules ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "npm dependencies: up to date with package-lock.json"
else
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi
