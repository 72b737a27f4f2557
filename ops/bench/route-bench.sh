#!/usr/bin/env bash
# Ingress across nodes (by hand, not in CI): the same python3 HTTP server reached directly on the
# host and through an API instance whose ingress forwards to the worker that runs it (client →
# api (single.bench.apps.localhost) → worker's internal listener → socket inside the service's sandbox), side by side
# in one run. ops/bench/ingress-bench.sh gives the single-node ingress (no forwarding hop).
#
#   ops/bench/route-bench.sh [SECONDS] [CONCURRENCY...]     (defaults: 10 s; 1 and 8)
#
# Figures (2 CPUs, 6 s runs, client opens a connection per request, 1 KiB file), 2026-11-28 15:17
# on a BUSY machine (load average 7.3 at the start, 8.9 at the end; three JVMs and the client on
# two cores), `ops/bench/route-bench.sh 6 1 8`:
#   single    (HTTP/1.0), conc 1: direct 4306 req/s p50 0.191; routed  348 p50 1.756 (+1.57 ms,   8%)
#   keepalive (HTTP/1.1), conc 1: direct  889 req/s p50 0.764; routed  522 p50 1.022 (+0.26 ms,  59%)
#   single    (HTTP/1.0), conc 8: direct 4333 req/s p50 1.212; routed  964 p50 4.737 (+3.52 ms,  22%)
#   keepalive (HTTP/1.1), conc 8: direct  916 req/s p50 4.894; routed 1455 p50 3.522 (-1.37 ms, 159%)
# Quiet machine (16:39, load 2.0 at the start, nothing else running), same command:
#   single    (HTTP/1.0), conc 1: direct 3182 req/s p50 0.257; routed  478 p50 1.486 (+1.23 ms,  15%)
#   keepalive (HTTP/1.1), conc 1: direct 1697 req/s p50 0.516; routed  862 p50 0.890 (+0.37 ms,  51%)
#   single    (HTTP/1.0), conc 8: direct 5813 req/s p50 0.982; routed 2259 p50 2.146 (+1.16 ms,  39%)
#   keepalive (HTTP/1.1), conc 8: direct 1484 req/s p50 3.902; routed 3767 p50 1.933 (-1.97 ms, 254%)
# (client → api JVM → worker JVM → python: four processes on two cores for every request.)
#
# Starts its own PostgreSQL (the system's binaries, a throwaway cluster), one instance with
# palisade.node.role=api and one with role worker from platform-app/target/palisade.jar, sharing a
# random palisade.node.internal-secret; stops everything it started. Needs root (the sandbox).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN=${1:-10}
shift || true
[ $# -gt 0 ] && CONCURRENCY=("$@") || CONCURRENCY=(1 8)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
API_PORT=$(free_port) WORKER_PORT=$(free_port) INTERNAL_PORT=$(free_port) PG_PORT=$(free_port)
DIRECT_PORT=$(free_port) DIRECT_PORT2=$(free_port)
OUT=$(mktemp -d /var/tmp/palisade-route-bench-XXXX)
SITE=$(mktemp -d /tmp/palisade-route-site-XXXX)
PW=bench-admin-password-$$
SECRET=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
PGBIN=${PGBIN:-$(dirname "$(readlink -f "$(command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl | tail -1)")")}
head -c 768 /dev/urandom | base64 -w0 > "$SITE/hello.txt"
PY_SINGLE='import http.server as h,sys; h.HTTPServer(("127.0.0.1", int(sys.argv[1])), h.SimpleHTTPRequestHandler).serve_forever()'
PY_KEEPALIVE='import http.server as h,sys; h.SimpleHTTPRequestHandler.protocol_version="HTTP/1.1"; h.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), h.SimpleHTTPRequestHandler).serve_forever()'
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$OUT/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$SITE"
}
trap cleanup EXIT

(cd "$SITE" && exec python3 -c "$PY_SINGLE" "$DIRECT_PORT" >/dev/null 2>&1) & PIDS+=($!)
(cd "$SITE" && exec python3 -c "$PY_KEEPALIVE" "$DIRECT_PORT2" >/dev/null 2>&1) & PIDS+=($!)

chown postgres "$OUT" && chmod 755 "$OUT"
runuser -u postgres -- "$PGBIN/initdb" -D "$OUT/pg" -U postgres --auth=trust >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$OUT/pg" -l "$OUT/pg.log" -w \
  -o "-p $PG_PORT -k /tmp -c listen_addresses=127.0.0.1" start >/dev/null
start() {  # name role port extra...
  local name=$1 role=$2 port=$3; shift 3
  SPRING_DATASOURCE_URL=jdbc:postgresql://127.0.0.1:$PG_PORT/postgres SPRING_DATASOURCE_USERNAME=postgres \
  SPRING_DATASOURCE_PASSWORD=postgres PALISADE_ADMIN_PASSWORD=$PW PALISADE_NODE_INTERNAL_SECRET=$SECRET \
    java -Xmx768m -jar platform-app/target/palisade.jar --server.port="$port" --palisade.node.role="$role" \
      --palisade.data-dir="$OUT/$name" --logging.level.root=WARN "$@" >"$OUT/$name.log" 2>&1 &
  PIDS+=($!)
}
ready() {  # port, pid of the instance
  for _ in $(seq 1 360); do
    kill -0 "$2" 2>/dev/null || { echo "the instance on $1 exited: see $OUT" >&2; return 1; }
    curl -sf "http://127.0.0.1:$1/actuator/health" >/dev/null && return 0; sleep 0.5
  done; return 1
}
start api api "$API_PORT"
ready "$API_PORT" "${PIDS[-1]}"   # it migrates the schema; the worker starts on it
start worker worker "$WORKER_PORT" --palisade.node.internal-port="$INTERNAL_PORT" --spring.flyway.enabled=false
ready "$WORKER_PORT" "${PIDS[-1]}"

B=http://127.0.0.1:$API_PORT
api() { curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }
TOKEN=$(curl -sf -u admin:"$PW" -H 'Content-Type: application/json' -d '{"name":"bench"}' "$B/api/v1/tokens" | jq -r .token)
api -d '{"slug":"bench","displayName":"Bench"}' "$B/api/v1/tenants" >/dev/null
api -X PUT -d '{"maxConcurrentWorkloads":4,"maxCpuMillis":3600000,"maxWallMillis":3600000,"maxMemoryBytes":536870912,
  "maxProcesses":64,"maxOutputBytes":1048576,"cpuSecondsPerMonth":1000000,"storageBytes":1073741824}' \
  "$B/api/v1/tenants/bench/quota" >/dev/null
deploy() {  # name, python command
  jq -n --arg name "$1" --arg c "$(cat "$SITE/hello.txt")" --arg py "$2" '{name: $name, port: 8000, healthPath: "/hello.txt",
    command: ["/bin/sh", "-c", "printf %s \"$C\" > hello.txt && exec python3 -c \"$PY\" 8000 2>/dev/null"],
    env: {C: $c, PY: $py}}' | api -d @- "$B/api/v1/tenants/bench/services" >/dev/null
  for _ in $(seq 1 300); do
    [ "$(api "$B/api/v1/tenants/bench/services/$1" | jq -r .status)" = HEALTHY ] && break; sleep 0.2
  done
}
deploy single "$PY_SINGLE"
deploy keepalive "$PY_KEEPALIVE"
for s in single keepalive; do
  echo "== $s runs on node $(api "$B/api/v1/tenants/bench/services/$s" | jq -r .node); the api instance forwards"
  cmp <(curl -sf "http://$s.bench.apps.localhost:$API_PORT/hello.txt") "$SITE/hello.txt" && echo "== $s: the same file through api → worker → sandbox"
done
echo "== $(nproc) CPUs, $SECONDS_PER_RUN s per run, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for c in "${CONCURRENCY[@]}"; do
  echo "== single-threaded server (HTTP/1.0), concurrency $c"
  java ops/bench/IngressBench.java "$SECONDS_PER_RUN" "$c" \
    direct="http://127.0.0.1:$DIRECT_PORT/hello.txt" routed="http://single.bench.apps.localhost:$API_PORT/hello.txt"
  echo "== keep-alive threading server (HTTP/1.1), concurrency $c"
  java ops/bench/IngressBench.java "$SECONDS_PER_RUN" "$c" \
    direct="http://127.0.0.1:$DIRECT_PORT2/hello.txt" routed="http://keepalive.bench.apps.localhost:$API_PORT/hello.txt"
done
echo "== load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
for s in single keepalive; do
  api "$B/api/v1/tenants/bench/services/$s" | jq -c '{name, node, status, requests}'
done
