#!/usr/bin/env bash
# Installs what Palisade's tests need on a fresh Debian/Ubuntu machine (as root, through apt).
# The README's test command runs it before the Maven wrapper's `verify`.
set -euo pipefail
cd "$(dirname "$0")/.."

# Packages the tests use: gcc/musl to build test programs, busybox-static for the KVM
# platform's applet tests, python3 for workload tests, Chromium + driver for browser tests,
# psql to knock on the embedded PostgreSQL as another local account, python3-psycopg for the web apps
# that use a tenant database, the packaged PostgreSQL server as an external tenant database server
# whose pg_dump matches it (no default cluster is made or started: the test starts its own),
# mkfs.ext4 and mount for volumes,
# git and procps (free) for the sandbox's behaviour tests, nftables and iproute2 for the egress
# network policy (its tests build a pretend internet in network namespaces), curl (HTTP/2) and
# openssl for the ingress's TLS tests, pebble (and its pebble-challtestsrv DNS) as the ACME server of the
# custom-domain tests.
TEST_PACKAGES=(gcc libc6-dev make musl-tools busybox-static python3 python3-psycopg tar gzip git procps chromium chromium-driver postgresql-client postgresql e2fsprogs util-linux nftables iproute2
  curl openssl pebble)

missing=()
for pkg in "${TEST_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "== installing test packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/palisade-tests.conf
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "== warning: missing packages (${missing[*]}); tests that need them will skip" >&2
  fi
fi

# Spectral's CLI lints the OpenAPI document (OpenApiDocumentTests); from npm, the version pinned here.
# Node.js from Debian unless a Node.js with its own npm (NodeSource's) is there already.
SPECTRAL_VERSION=6.16.3
if ! command -v npm >/dev/null && [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  echo "== installing nodejs npm"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if ! command -v spectral >/dev/null || [[ $(spectral --version 2>/dev/null) != "$SPECTRAL_VERSION" ]]; then
  if [[ $(id -u) -eq 0 ]] && command -v npm >/dev/null; then
    echo "== installing @stoplight/spectral-cli@$SPECTRAL_VERSION"
    npm install -g --no-fund --no-audit "@stoplight/spectral-cli@$SPECTRAL_VERSION" >/dev/null
  else
    echo "== warning: spectral $SPECTRAL_VERSION missing; OpenApiDocumentTests will fail" >&2
  fi
fi
