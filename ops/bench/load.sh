#!/usr/bin/env bash
# API throughput and worker density, on this machine, loopback only. Run by hand (as root, for the
# sandbox), never in CI; about 5 minutes.
#
#   ops/bench/load.sh                    # 300 req/s for 60 s against 2 API replicas + 1 worker, then density of 500
#   RATE=150 DURATION=30 ops/bench/load.sh
#   WARMUP=60 (default): seconds of the same mix at half the rate, not counted, so the JIT of the
#   three fresh JVMs (C2 compiles for a minute or more, measured with perf) is not what gets measured
#   COUNT=200 ops/bench/load.sh density  # density only
#
# Starts its own PostgreSQL (the system's binaries, e.g. apt-get install postgresql; a throwaway
# cluster in $OUT), two instances with palisade.node.role=api and one with role worker, all from
# platform-app/target/palisade.jar, then runs ops/bench/LoadBench.java against them and stops
# everything it started. Logs and the cluster stay in $OUT. JAVA_OPTS go to the three app JVMs
# (e.g. a JFR recording to profile them). The RESULT line sums the load up, with the load average.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
MODE=${1:-all}
RATE=${RATE:-300}
DURATION=${DURATION:-60}
COUNT=${COUNT:-500}
OUT=${OUT:-/var/tmp/palisade-load-$(date +%Y%m%d-%H%M%S)}
PG_PORT=${PG_PORT:-55432}
PASSWORD=bench-admin-password
JAR=$REPO/platform-app/target/palisade.jar
PGBIN=${PGBIN:-$(dirname "$(readlink -f "$(command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl | tail -1)")")}
mkdir -p "$OUT"
[ -f "$JAR" ] || (cd "$REPO" && ./mvnw -B -ntp -q package -DskipTests -pl platform-app -am)
CLASSES=$OUT/client && mkdir -p "$CLASSES" && javac -d "$CLASSES" "$HERE/KeptConnection.java" "$HERE/ProcessCpu.java" "$HERE/LoadBench.java"

PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$OUT/pg" -m fast stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "== PostgreSQL ($PGBIN) on 127.0.0.1:$PG_PORT, data in $OUT/pg"
chown postgres "$OUT" && chmod 755 "$OUT"
runuser -u postgres -- "$PGBIN/initdb" -D "$OUT/pg" -U postgres --auth=trust >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$OUT/pg" -l "$OUT/pg.log" -w \
  -o "-p $PG_PORT -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=512MB" start >/dev/null

COMMON=(--palisade.workloads.max-queued-per-tenant=100000)
NODE_SECRET=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')   # roles split: the instances share one
start() { # name role port mgmt-port extra...
  local name=$1 role=$2 port=$3 mport=$4; shift 4
  SPRING_DATASOURCE_URL=jdbc:postgresql://127.0.0.1:$PG_PORT/postgres SPRING_DATASOURCE_USERNAME=postgres \
  SPRING_DATASOURCE_PASSWORD=postgres PALISADE_ADMIN_PASSWORD=$PASSWORD PALISADE_NODE_INTERNAL_SECRET=$NODE_SECRET \
    java -Xmx768m ${JAVA_OPTS:-} -jar "$JAR" --server.port="$port" --management.server.port="$mport" \
      --palisade.node.role="$role" --palisade.data-dir="$OUT/$name" "${COMMON[@]}" "$@" >"$OUT/$name.log" 2>&1 &
  PIDS+=($!)
  echo $! >"$OUT/$name.pid"
}
ready() { # mgmt-port
  for _ in $(seq 1 360); do
    curl -fs "http://127.0.0.1:$1/actuator/health/readiness" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "not ready on $1" >&2; return 1
}

echo "== starting api1 (:18081), api2 (:18082), worker (:18083, capacity $COUNT)"
start api1 api 18081 19081
ready 19081   # the first one migrates
start api2 api 18082 19082
start worker worker 18083 19083 --palisade.dispatcher.capacity="$COUNT" --palisade.dispatcher.tenant-share=1 --palisade.dispatcher.heartbeat=2s --palisade.dispatcher.lease-timeout=30s
ready 19082; ready 19083
echo "   ready: $(nproc) CPUs, $(free -g | awk '/Mem:/{print $2}') GB"

if [ "$MODE" = all ] || [ "$MODE" = load ]; then
  echo "== load"
  java -cp "$CLASSES" LoadBench load --api http://127.0.0.1:18081,http://127.0.0.1:18082 --password "$PASSWORD" \
    --rate "$RATE" --seconds "$DURATION" --warmup "${WARMUP:-60}" \
    --pids "api1=$(cat "$OUT/api1.pid"),api2=$(cat "$OUT/api2.pid"),worker=$(cat "$OUT/worker.pid"),postgres=$(head -1 "$OUT/pg/postmaster.pid")"
  # let the worker drain the submitted /bin/true workloads before measuring density
  for _ in $(seq 1 120); do
    q=$(curl -s http://127.0.0.1:19081/actuator/prometheus | awk '/^palisade_queue_depth/{print $2}')
    [ "${q%.*}" = 0 ] && break; sleep 1
  done
  curl -s http://127.0.0.1:19083/actuator/prometheus | grep -E '^palisade_(sandbox_start_seconds|workload_queue_wait_seconds)_(count|sum)' || true
fi
if [ "$MODE" = all ] || [ "$MODE" = density ]; then
  echo "== density"
  java -cp "$CLASSES" LoadBench density --api http://127.0.0.1:18081 --password "$PASSWORD" \
    --worker-pid "$(cat "$OUT/worker.pid")" --count "$COUNT" --wait 240
fi
echo "== logs in $OUT"
