#!/usr/bin/env bash
# Workload benchmark, run by hand (not in CI): starts the packaged app on a fresh data directory
# (embedded PostgreSQL), then runs ops/bench/WorkloadBench.java against it: submit → running and
# submit → finished for /bin/true, and submissions per second with many concurrent clients.
#   ops/bench/workloads-bench.sh [N=100] [CLIENTS=32] [SECONDS=10] [TENANTS=1]
# (one tenant's submits are admitted one at a time, for an exact quota: TENANTS=1 shows that
# ceiling, more tenants the platform's). WARMUP=30 (default): seconds of the same submissions
# first, not counted, so the fresh JVM's JIT is not what gets measured.
# Needs root (the ptrace sandbox). Builds the jar first unless SKIP_BUILD=1.
# API_ONLY=1 starts the instance with its worker disabled (the "api" role of a scale-out) and
# measures submissions only (N=0): the workloads then stay QUEUED.
# JAVA_OPTS go to the app's JVM, e.g. JAVA_OPTS=-XX:StartFlightRecording=filename=/tmp/app.jfr,settings=profile
# to profile it (then: jfr print --events jdk.ExecutionSample /tmp/app.jfr). The last line, RESULT,
# sums it up with the load average (figures from a busy machine say little).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "${SKIP_BUILD:-0}" = 1 ] || ./mvnw -B -ntp -q package -DskipTests -pl platform-app -am
data=$(mktemp -d /tmp/palisade-bench.XXXXXX)
port=${PORT:-18080}
password=bench-admin-password
dispatcher=true; n=${1:-100}
if [ "${API_ONLY:-0}" = 1 ]; then dispatcher=false; n=0; fi
PALISADE_ADMIN_PASSWORD=$password PALISADE_WORKLOADS_MAX_QUEUED_PER_TENANT=1000000 PALISADE_DISPATCHER_ENABLED=$dispatcher \
  java -Xmx1g ${JAVA_OPTS:-} -jar platform-app/target/palisade.jar --server.port=$port --palisade.data-dir="$data" \
  --logging.level.root=WARN > "$data/app.log" 2>&1 &
app=$!
trap 'kill $app; wait $app 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 180); do
  curl -sf "http://localhost:$port/actuator/health" >/dev/null 2>&1 && break
  sleep 1
done
javac -d "$data/client" ops/bench/KeptConnection.java ops/bench/ProcessCpu.java ops/bench/WorkloadBench.java
postgres=$(head -1 "$(find "$data" -name postmaster.pid | head -1)")
java -cp "$data/client" WorkloadBench "http://localhost:$port" "$password" "$n" "${2:-32}" "${3:-10}" "${4:-1}" "${WARMUP:-30}" \
  "app=$app,postgres=$postgres"
