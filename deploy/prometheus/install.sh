#!/usr/bin/env bash
# Ensure `prometheus` and `promtool` are on PATH, installing Debian's package
# if needed. Tests (harness/services.py) and `make run` start their own
# Prometheus on a private port; the distro service must not also be left
# running on :9090, so it is kept from starting and disabled.
set -euo pipefail

log() { printf 'prometheus/install.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

print_versions() {
    # Both tools print their version banner on stderr in older releases.
    log "$(prometheus --version 2>&1 | head -n 1)"
    log "$(promtool --version 2>&1 | head -n 1)"
}

if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
    print_versions
    exit 0
fi

command -v apt-get >/dev/null 2>&1 \
    || die "prometheus/promtool not on PATH and apt-get is unavailable; install Prometheus >= 2.x manually"

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "installing the prometheus package needs root (or sudo)"
    SUDO=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
# Another apt run (a parallel CI job, unattended-upgrades) holds the dpkg lock
# for a while; wait rather than fail.
APT_OPTS=(-o DPkg::Lock::Timeout=300 -o Acquire::Retries=3)

# Captured first: `apt-cache ... | grep -q` under pipefail fails whenever grep
# exits early and apt-cache gets SIGPIPE.
policy=$(apt-cache policy prometheus 2>/dev/null || true)
if [[ $policy != *"Candidate: "[0-9]* ]]; then
    log "running apt-get update (no prometheus candidate in the package lists)"
    "${SUDO[@]}" apt-get "${APT_OPTS[@]}" update -qq || die "apt-get update failed"
fi

# policy-rc.d exiting 101 is Debian's documented way to tell maintainer
# scripts not to start services. Only add one if none exists: an existing one
# (e.g. Docker images ship one) is someone else's and already says what it wants.
POLICY_RC=/usr/sbin/policy-rc.d
our_policy=0
if [[ ! -e $POLICY_RC ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$POLICY_RC" >/dev/null
    "${SUDO[@]}" chmod 0755 "$POLICY_RC"
    our_policy=1
fi
apt_log=$(mktemp)
cleanup() {
    rm -f "$apt_log"
    if ((our_policy)); then
        "${SUDO[@]}" rm -f "$POLICY_RC"
    fi
}
trap cleanup EXIT

log "installing the Debian prometheus package"
# --no-install-recommends: the package recommends prometheus-node-exporter,
# another auto-started daemon (:9100) we have no use for.
if ! "${SUDO[@]}" apt-get "${APT_OPTS[@]}" install -y -qq --no-install-recommends prometheus \
        >"$apt_log" 2>&1; then
    tail -n 30 "$apt_log" >&2
    die "apt-get install prometheus failed"
fi

# Stop it anyway in case a pre-existing policy-rc.d allowed the start, and
# disable it so it does not come back on the next boot.
if command -v systemctl >/dev/null 2>&1; then
    "${SUDO[@]}" systemctl disable prometheus.service >/dev/null 2>&1 || true
    if [[ -d /run/systemd/system ]]; then
        "${SUDO[@]}" systemctl stop prometheus.service >/dev/null 2>&1 || true
    fi
fi
if [[ -x /etc/init.d/prometheus && ! -d /run/systemd/system ]]; then
    "${SUDO[@]}" service prometheus stop >/dev/null 2>&1 || true
    "${SUDO[@]}" update-rc.d prometheus disable >/dev/null 2>&1 || true
fi
if pgrep -u prometheus -x prometheus >/dev/null 2>&1; then
    die "the Debian prometheus service is still running (it would hold :9090); stop it with 'service prometheus stop'"
fi

if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
    die "package installed but prometheus/promtool are still not on PATH (PATH=$PATH)"
fi
print_versions
