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
# WORKER_CPU=K: the worker's CPU per /bin/true workload, as in a scale-out: the app above runs the
# API only, and a second instance (palisade.node.role=worker, on the first one's PostgreSQL) runs
# the workloads; K of them at WORKER_RATE=30 per second after K unmeasured (the JIT), then the
# worker process's CPU (JVM + reaped sandboxes) divided by K. WORKER_JAVA_OPTS go to its JVM.
# With N=0 only this runs: WORKER_CPU=1000 ops/bench/workloads-bench.sh 0
# JAVA_OPTS go to the app's JVM, e.g. JAVA_OPTS=-XX:StartFlightRecording=filename=/tmp/app.jfr,settings=profile
# to profile it (then: jfr print --events jdk.ExecutionSample /tmp/app.jfr). The last line, RESULT,
# sums it up with the load average (figures from a busy machine say little).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "${SKIP_BUILD:-0}" = 1 ] || ./mvnw -B -ntp -q package -DskipTests -pl platform-app -am
jar=${JAR:-platform-app/target/palisade.jar}   # JAR=...: another build, for an A/B in one time window
data=$(mktemp -d /tmp/palisade-bench.XXXXXX)
port=${PORT:-18080}
password=bench-admin-password
dispatcher=true; n=${1:-100}
if [ "${API_ONLY:-0}" = 1 ]; then dispatcher=false; n=0; fi
workers=${WORKER_CPU:-0}
if [ "$workers" -gt 0 ]; then dispatcher=false; fi
secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
PALISADE_ADMIN_PASSWORD=$password PALISADE_NODE_INTERNAL_SECRET=$secret PALISADE_WORKLOADS_MAX_QUEUED_PER_TENANT=1000000 PALISADE_DISPATCHER_ENABLED=$dispatcher \
  java -Xmx1g ${JAVA_OPTS:-} -jar "$jar" --server.port=$port --palisade.data-dir="$data" \
  --logging.level.root=WARN > "$data/app.log" 2>&1 &
app=$!
worker=
trap 'kill $app $worker; wait $app $worker 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 180); do
  curl -sf "http://localhost:$port/actuator/health" >/dev/null 2>&1 && break
  sleep 1
done
javac -d "$data/client" ops/bench/KeptConnection.java ops/bench/ProcessCpu.java ops/bench/WorkloadBench.java
postmaster=$(find "$data" -name postmaster.pid | head -1)
postgres=$(head -1 "$postmaster")
pids="app=$app,postgres=$postgres"
if [ "$workers" -gt 0 ]; then
  wport=${WORKER_PORT:-$((port + 2))}
  SPRING_DATASOURCE_URL=jdbc:postgresql://localhost:$(sed -n 4p "$postmaster")/postgres SPRING_DATASOURCE_USERNAME=postgres \
  SPRING_DATASOURCE_PASSWORD=postgres PALISADE_ADMIN_PASSWORD=$password PALISADE_NODE_INTERNAL_SECRET=$secret \
    java -Xmx1g ${WORKER_JAVA_OPTS:-} -jar "$jar" --server.port=$wport \
    --management.server.port=$((wport + 1)) --palisade.node.role=worker --palisade.data-dir="$data/worker" \
    --logging.level.root=WARN > "$data/worker.log" 2>&1 &
  worker=$!
  for _ in $(seq 1 180); do
    curl -sf "http://localhost:$((wport + 1))/actuator/health/readiness" >/dev/null 2>&1 && break
    sleep 1
  done
  pids="$pids,worker=$worker"
fi
java -Dworker.count="$workers" -Dworker.rate="${WORKER_RATE:-30}" -cp "$data/client" WorkloadBench "http://localhost:$port" "$password" "$n" "${2:-32}" "${3:-10}" "${4:-1}" "${WARMUP:-30}" \
  "$pids"
