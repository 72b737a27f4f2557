#!/usr/bin/env bash
# Scale to zero (by hand, not in CI): the first byte of a request to a service that was scaled to
# zero, and the platform's share of it. Each server is deployed with minInstances 0 and a one-second
# idle timeout; ROUNDS times it is left to go idle (status IDLE: no sandbox), then one request is
# timed with curl (time to the first byte) and the service's log says how long after that request
# the platform had its sandbox running (the platform's share: the wake-up, the engine's start) and
# how long the program then took to answer its first health probe (its own start).
#
#   ops/bench/wake-bench.sh [ROUNDS]          (default 5)
#   JAR=/path/palisade.jar ...               another build
#
# Servers: python3 -m http.server, and a static C server (tiny-http.c, musl-gcc -static), on the
# ptrace platform and on KVM (the C server only where KVM runs it).
# 2026-12-06 07:10, the shared 2-vCPU development VM (load 12.9 at the start, 4.1 at the end), d957010,
# `ops/bench/wake-bench.sh 3` (p50 of 3; the platform's share: from the request to a running sandbox):
#   python3 -m http.server, ptrace: first byte 264.9 ms (222.8 290.8 264.9); platform 17.5 ms (40.5 7.5 17.5); program 236.6 ms
#   static C server, ptrace:        first byte  32.9 ms (34.2 31.8 32.9);    platform 17.2 ms (17.2 22.6 16.6); program   9.4 ms
#   static C server, kvm:           first byte  12.2 ms (19.7 12.2 8.4);     platform  1.2 ms (1.9 1.2 0.9);    program  11.2 ms
#   python3 -m http.server, kvm:    the deployment ended FAILED before it was healthy (why not examined)
# Under load 27 (06:45) the python/ptrace row was 993 ms, platform 346 ms: the wake waits for CPU like the rest.
# Needs root (the ptrace platform), jq, musl-gcc or gcc, and a built jar
# (./mvnw -B package -DskipTests -pl platform-app -am).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-5}
PORT=${PORT:-18180}
DATA=$(mktemp -d /tmp/palisade-wake-XXXX)
PW=bench-admin-password-$$
cleanup() { kill "$APP" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT

CC=$(command -v musl-gcc || command -v gcc)
mkdir -p "$DATA/code" && "$CC" -static -O2 -o "$DATA/code/tiny-http" ops/bench/tiny-http.c
tar czf "$DATA/tiny-http.tgz" -C "$DATA/code" tiny-http

PALISADE_ADMIN_PASSWORD=$PW java -Xmx1g -jar "${JAR:-platform-app/target/palisade.jar}" --server.port="$PORT" \
  --palisade.data-dir="$DATA" --logging.level.root=WARN > "$DATA/app.log" 2>&1 & APP=$!
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/actuator/health" >/dev/null && break; sleep 0.5; done
curl -sf "http://127.0.0.1:$PORT/actuator/health" >/dev/null || { echo "the app did not start:"; tail -20 "$DATA/app.log"; exit 1; }
B=http://127.0.0.1:$PORT/api/v1
api() { curl -sf -H "Authorization: Bearer $TOKEN" "$@"; }
TOKEN=$(curl -sf -u admin:"$PW" -H 'Content-Type: application/json' -d '{"name":"bench"}' "$B/tokens" | jq -r .token)
api -H 'Content-Type: application/json' -d '{"slug":"bench","displayName":"Bench"}' "$B/tenants" >/dev/null
api -X PUT -H 'Content-Type: application/json' -d '{"maxConcurrentWorkloads":8,"maxCpuMillis":3600000,
  "maxWallMillis":3600000,"maxMemoryBytes":536870912,"maxProcesses":64,"maxOutputBytes":1048576,
  "cpuSecondsPerMonth":1000000,"storageBytes":1073741824}' "$B/tenants/bench/quota" >/dev/null

status() { api "$B/tenants/bench/services/$1" | jq -r .status; }
await() {  # name, status (a regular expression)
  for _ in $(seq 1 600); do [[ "$(status "$1")" =~ ^($2)$ ]] && return 0; sleep 0.1; done
  echo "($1 never became $2: $(api "$B/tenants/bench/services/$1" | jq -c '{state, status, lastExit}'))"; return 1
}
deploy_python() {  # name, platform
  api -H 'Content-Type: application/json' -d "{\"name\":\"$1\",\"port\":8000,\"platform\":\"$2\",\"minInstances\":0,
    \"idleTimeoutSeconds\":1,\"command\":[\"python3\",\"-m\",\"http.server\",\"8000\",\"--bind\",\"127.0.0.1\"]}" \
    "$B/tenants/bench/services" >/dev/null
}
deploy_c() {  # name, platform
  api -F "spec={\"name\":\"$1\",\"port\":8000,\"platform\":\"$2\",\"minInstances\":0,\"idleTimeoutSeconds\":1,
    \"command\":[\"/app/tiny-http\",\"8000\"]};type=application/json" -F archive=@"$DATA/tiny-http.tgz" \
    "$B/tenants/bench/services" >/dev/null
}
median() { sort -n | awk '{a[NR] = $1} END {if (NR) print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2); else print "-"}'; }
bench() {  # name, label
  local first=() platform=() program=() id line
  await "$1" 'HEALTHY|IDLE' || return 0   # a service that started while another was measured may be idle already
  id=$(api "$B/tenants/bench/services/$1" | jq -r .workloadId)
  for _ in $(seq 1 "$ROUNDS"); do
    await "$1" IDLE || return 0
    sleep 0.5
    first+=("$(curl -s -o /dev/null -w '%{http_code} %{time_starttransfer}' "http://$1.bench.apps.localhost:$PORT/" \
      | awk '$1 == 200 {printf "%.1f", $2 * 1000}')")
    line=$(api "$B/tenants/bench/workloads/$id/logs" | grep 'woken by a request' | tail -1)
    platform+=("$(sed -E 's/.*sandbox running ([0-9.]+) ms.*/\1/' <<< "$line")")
    program+=("$(sed -E 's/.*program answering ([0-9.]+) ms.*/\1/' <<< "$line")")
  done
  printf '%-34s first byte after idle p50 %7s ms (%s); platform share p50 %6s ms (%s); program start p50 %7s ms\n' \
    "$2" "$(printf '%s\n' "${first[@]}" | median)" "${first[*]}" "$(printf '%s\n' "${platform[@]}" | median)" \
    "${platform[*]}" "$(printf '%s\n' "${program[@]}" | median)"
}
echo "== $(nproc) CPUs, $ROUNDS wake-ups each, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
deploy_python py-ptrace ptrace; deploy_c c-ptrace ptrace
bench py-ptrace "python3 -m http.server, ptrace"
bench c-ptrace "static C server, ptrace"
api -X POST "$B/tenants/bench/services/py-ptrace/stop" >/dev/null; api -X POST "$B/tenants/bench/services/c-ptrace/stop" >/dev/null
if [ -e /dev/kvm ]; then
  deploy_c c-kvm kvm
  bench c-kvm "static C server, kvm"
  deploy_python py-kvm kvm
  bench py-kvm "python3 -m http.server, kvm"
fi
echo "== load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
