#!/usr/bin/env bash
# .ci/setup.d/topology.sh: what the topology processor's tests need to run
# real podman containers (processor/topology, TestPodmanContainer and
# internal/ebpfe2e). Idempotent; run as root on Debian 12.
set -euo pipefail

need=()
for pkg in podman busybox-static; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Podman's default ulimits (nofile/nproc) cannot be set on these VMs.
conf=/etc/containers/containers.conf
mkdir -p /etc/containers
if [ ! -f "$conf" ]; then
  printf '[containers]\ndefault_ulimits = []\n' >"$conf"
elif ! grep -q '^[[:space:]]*default_ulimits' "$conf"; then
  if grep -q '^\[containers\]' "$conf"; then
    sed -i '/^\[containers\]/a default_ulimits = []' "$conf"
  else
    printf '\n[containers]\ndefault_ulimits = []\n' >>"$conf"
  fi
fi

# On a hybrid cgroup host (v1 controllers + /sys/fs/cgroup/unified), crun
# refuses to create containers while a controller is left in cgroup v2
# ("cgroups in hybrid mode not supported, drop all controllers from
# cgroupv2"). Bind such unused controllers (hugetlb on these VMs) to v1.
unified=/sys/fs/cgroup/unified
if [ -f "$unified/cgroup.controllers" ] && [ -z "$(cat "$unified/cgroup.subtree_control")" ]; then
  for ctrl in $(cat "$unified/cgroup.controllers"); do
    mkdir -p "/sys/fs/cgroup/$ctrl"
    mountpoint -q "/sys/fs/cgroup/$ctrl" || mount -t cgroup -o "$ctrl" cgroup "/sys/fs/cgroup/$ctrl"
  done
fi
