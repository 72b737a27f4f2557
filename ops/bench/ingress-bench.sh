#!/usr/bin/env bash
# Ingress benchmark (by hand, not in CI): the same python3 -m http.server reached directly on
# the host and through Palisade's ingress (/apps/{tenant}/{service}/ → a socket opened inside
# the service sandbox's network namespace), side by side in one run: "direct", "ingress" (the
# platform port, Tomcat) and "lean" (the dedicated ingress port, palisade.services.ingress.port).
#
#   ops/bench/ingress-bench.sh [SECONDS] [CONCURRENCY...]     (defaults: 10 s; 1 and 8)
#   JAR=/path/palisade.jar ...      another build (to compare two, run them one after the other)
#   RESTARTS=K ...                  then the row that swings most between runs (one client at a time,
#                                   single-threaded server) K times more, each after a restart of the
#                                   service, and its median
#
# Quiet machine, 2026-11-28 19:30, main at 4c252fb, `ops/bench/ingress-bench.sh 6 1 8` (load 2.6):
#   threading (HTTP/1.0), conc 1: direct 1736 p50 0.506; ingress  811 p50 0.966 (+0.46 ms, 47%); lean 1643 p50 0.501 (-0.01 ms, 95%)
#   single    (HTTP/1.0), conc 1: direct 3314 p50 0.264; ingress 1515 p50 0.578 (+0.31 ms, 46%); lean 2236 p50 0.392 (+0.13 ms, 67%)
#   keepalive (HTTP/1.1), conc 1: direct 1753 p50 0.504; ingress 2052 p50 0.433 (-0.07 ms, 117%); lean 3199 p50 0.283 (-0.22 ms, 182%)
#   threading (HTTP/1.0), conc 8: direct 1622 p50 3.594; ingress 2241 p50 2.602 (-0.99 ms, 138%); lean 2367 p50 2.537 (-1.06 ms, 146%)
#   single    (HTTP/1.0), conc 8: direct 6005 p50 0.962; ingress 5765 p50 0.907 (-0.06 ms, 96%); lean 7663 p50 0.744 (-0.22 ms, 128%)
#   keepalive (HTTP/1.1), conc 8: direct 1643 p50 3.548; ingress 6206 p50 1.125 (-2.42 ms, 378%); lean 10482 p50 0.671 (-2.88 ms, 638%)
#   308 alone, conc 1: platform port 5873 req/s p50 0.144, ingress port 9586 p50 0.096
# 2026-12-05 17:48, this build, `RESTARTS=4 ops/bench/ingress-bench.sh 6 1 8` (load 1.8 at the start):
#   threading conc 1: direct 1225 p50 0.757; ingress  635 p50 1.147 (+0.39 ms, 52%); lean 1173 p50 0.702 (-0.06 ms, 96%)
#   single    conc 1: direct 4094 p50 0.212; ingress 1451 p50 0.581 (+0.37 ms, 35%); lean 2240 p50 0.413 (+0.20 ms, 55%)
#   keepalive conc 1: direct 1447 p50 0.653; ingress 1770 p50 0.511 (-0.14 ms, 122%); lean 1962 p50 0.482 (-0.17 ms, 136%)
#   threading conc 8: direct 1100 p50 5.183; ingress  992 p50 5.937 (+0.76 ms, 90%); lean  937 p50 6.164 (+0.98 ms, 85%)
#                     (the same server from inside its sandbox, no ingress: 923 p50 6.182: the sandbox's cost, not the hop's)
#   single    conc 8: direct 4146 p50 1.213; ingress 2795 p50 2.045 (+0.83 ms, 67%); lean 3466 p50 1.657 (+0.44 ms, 84%)
#   keepalive conc 8: direct 1154 p50 4.975; ingress 4566 p50 1.592 (-3.38 ms, 396%); lean 5956 p50 1.183 (-3.79 ms, 516%)
#   308 alone, conc 1: platform port 4679 p50 0.169, ingress port 8375 p50 0.102; context switches per
#   new-connection request: platform port 10.4, ingress port 5.7 (its own threads 2.0)
#   single conc 1 after each of 4 restarts of the service: lean 50%, 79%, 76%, 63% (median 69.5%)
# ("ingress" is the platform port, "lean" the ingress port.) The p50 goal (+1 ms) holds in every row
# on both ports, and throughput (70% of direct) in five of six on the ingress port. The sixth, one
# client at a time against the single-threaded server that closes every connection, swings from
# run to run far more than any change to the ingress moves it. 2026-12-05, 8 runs of 4 s across 4
# restarts of the service each (the ptrace platform pins a service's process to a CPU, round robin,
# and where the client and the ingress's thread run against it decides a run): this build 49-81%,
# median 60.5%; the build before it, with the JDK's accept, 39-80%, median 61.5%. The kernel's
# accept (TcpListener: no lock handed between threads) and TCP_DEFER_ACCEPT (one wake-up per
# connection, at its first bytes) cut the ingress threads' context switches per new connection from
# 3.9 to 2.0 (counted in /proc over 500 requests to the port's 404), but not that row's median.
# With one client at a time, 70% of the server's rate leaves 0.09-0.12 ms (for its 0.21-0.29 ms)
# to a hop that does a second TCP connection's kernel work (accept and close towards the client,
# connect and close into the sandbox): perf puts half of the ingress threads' time in the kernel.
#
# Needs root (the ptrace platform) and a built jar (./mvnw -B package -DskipTests -pl platform-app -am).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN=${1:-10}
shift || true
[ $# -gt 0 ] && CONCURRENCY=("$@") || CONCURRENCY=(1 8)
PORT=${PORT:-18080}
DIRECT_PORT=${DIRECT_PORT:-18090}
LEAN_PORT=${LEAN_PORT:-18085}
DATA=$(mktemp -d /tmp/palisade-bench-XXXX)
SITE=$(mktemp -d /tmp/palisade-bench-site-XXXX)
PW=bench-admin-password-$$
head -c 768 /dev/urandom | base64 -w0 > "$SITE/hello.txt"
# three servers, each run the same way on the host and in a service sandbox:
#  threading = python3 -m http.server (HTTP/1.0: a connection and a thread per request, a clone(2)
#              the ptrace platform traces)
#  single    = http.server.HTTPServer, one thread, HTTP/1.0
#  keepalive = the threading server speaking HTTP/1.1, so connections stay open: the ingress
#              reuses its connections into the sandbox (the client still opens one per request)
PY_SINGLE='import http.server as h,sys; h.HTTPServer(("127.0.0.1", int(sys.argv[1])), h.SimpleHTTPRequestHandler).serve_forever()'
PY_KEEPALIVE='import http.server as h,sys; h.SimpleHTTPRequestHandler.protocol_version="HTTP/1.1"; h.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), h.SimpleHTTPRequestHandler).serve_forever()'
cleanup() { kill "$APP" "$DIRECT" "$DIRECT1" "$DIRECT2" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$DATA" "$SITE"; }
trap cleanup EXIT

# the direct baseline: the same server, same file, on the host
(cd "$SITE" && exec python3 -m http.server "$DIRECT_PORT" --bind 127.0.0.1 >/dev/null 2>&1) & DIRECT=$!
(cd "$SITE" && exec python3 -c "$PY_SINGLE" "$((DIRECT_PORT + 1))" >/dev/null 2>&1) & DIRECT1=$!
(cd "$SITE" && exec python3 -c "$PY_KEEPALIVE" "$((DIRECT_PORT + 2))" >/dev/null 2>&1) & DIRECT2=$!

PALISADE_ADMIN_PASSWORD=$PW java -Xmx1g -jar "${JAR:-platform-app/target/palisade.jar}" --server.port="$PORT" \
  --palisade.services.ingress.port="$LEAN_PORT" --palisade.services.ingress.bind=127.0.0.1 \
  --palisade.data-dir="$DATA" --logging.level.root=WARN > "$DATA/app.log" 2>&1 & APP=$!
for _ in $(seq 1 240); do curl -sf "http://127.0.0.1:$PORT/actuator/health" >/dev/null && break; sleep 0.5; done
api() { curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }
TOKEN=$(curl -sf -u admin:"$PW" -H 'Content-Type: application/json' -d '{"name":"bench"}' \
  "http://127.0.0.1:$PORT/api/v1/tokens" | jq -r .token)
api -d '{"slug":"bench","displayName":"Bench"}' "http://127.0.0.1:$PORT/api/v1/tenants" >/dev/null
api -X PUT -d '{"maxConcurrentWorkloads":4,"maxCpuMillis":3600000,"maxWallMillis":3600000,"maxMemoryBytes":536870912,
  "maxProcesses":64,"maxOutputBytes":1048576,"cpuSecondsPerMonth":1000000,"storageBytes":1073741824}' \
  "http://127.0.0.1:$PORT/api/v1/tenants/bench/quota" >/dev/null
deploy() {  # name, python command
  jq -n --arg name "$1" --arg c "$(cat "$SITE/hello.txt")" --arg py "$2" '{name: $name, port: 8000, healthPath: "/hello.txt",
    command: ["/bin/sh", "-c", "printf %s \"$C\" > hello.txt && exec python3 -c \"$PY\" 8000 2>/dev/null"],
    env: {C: $c, PY: $py}}' | api -d @- "http://127.0.0.1:$PORT/api/v1/tenants/bench/services" >/dev/null
  for _ in $(seq 1 200); do
    [ "$(api "http://127.0.0.1:$PORT/api/v1/tenants/bench/services/$1" | jq -r .status)" = HEALTHY ] && break; sleep 0.2
  done
}
deploy threading 'import http.server as h,sys; h.test(HandlerClass=h.SimpleHTTPRequestHandler, ServerClass=h.ThreadingHTTPServer, port=int(sys.argv[1]), bind="127.0.0.1")'
deploy single "$PY_SINGLE"
deploy keepalive "$PY_KEEPALIVE"
for s in threading single keepalive; do
  cmp <(curl -sf "http://127.0.0.1:$PORT/apps/bench/$s/hello.txt") "$SITE/hello.txt" && echo "== $s: the same file through the ingress"
  cmp <(curl -sf "http://127.0.0.1:$LEAN_PORT/apps/bench/$s/hello.txt") "$SITE/hello.txt" && echo "== $s: the same file through the ingress port"
done
# the same server inside its sandbox without the ingress ("sandbox" rows): the load generator
# entered into the sandbox's network namespace (as the ingress's connections are), one connection
# per request, to tell the sandbox's own cost from the proxy's (the single-threaded server first
# sits on the ingress's standby connection until that expires: up to ~4 s of the warm-up)
sandboxed() {  # pid of the service's python, by a piece of its command line; tenants' uids are >= 200000
  ps -eo pid=,uid=,args= | awk -v m="$1" '$2 >= 200000 && index($0, m) && $3 ~ /python3/ {print $1; exit}'
}
inside() {  # name, marker, seconds, concurrency: the sandboxed server from inside its namespace
  local pid; pid=$(sandboxed "$2")
  if [ -n "$pid" ]; then nsenter -t "$pid" -n java ops/bench/IngressBench.java "$3" "$4" sandbox=http://127.0.0.1:8000/hello.txt
  else echo "(no sandboxed $1 server found: in-sandbox figures left out)"; fi
}
echo "== $(nproc) CPUs, $SECONDS_PER_RUN s per run, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for c in "${CONCURRENCY[@]}"; do
  echo "== threading server (python3 -m http.server), concurrency $c"
  java ops/bench/IngressBench.java "$SECONDS_PER_RUN" "$c" \
    direct="http://127.0.0.1:$DIRECT_PORT/hello.txt" ingress="http://127.0.0.1:$PORT/apps/bench/threading/hello.txt" \
    lean="http://127.0.0.1:$LEAN_PORT/apps/bench/threading/hello.txt"
  inside threading 'h.test(' "$SECONDS_PER_RUN" "$c"
  echo "== single-threaded server, concurrency $c"
  java ops/bench/IngressBench.java "$SECONDS_PER_RUN" "$c" \
    direct="http://127.0.0.1:$((DIRECT_PORT + 1))/hello.txt" ingress="http://127.0.0.1:$PORT/apps/bench/single/hello.txt" \
    lean="http://127.0.0.1:$LEAN_PORT/apps/bench/single/hello.txt"
  inside single 'h.HTTPServer(' "$SECONDS_PER_RUN" "$c"
  echo "== keep-alive threading server (HTTP/1.1; the ingress reuses its connections into the sandbox), concurrency $c"
  java ops/bench/IngressBench.java "$SECONDS_PER_RUN" "$c" \
    direct="http://127.0.0.1:$((DIRECT_PORT + 2))/hello.txt" ingress="http://127.0.0.1:$PORT/apps/bench/keepalive/hello.txt" \
    lean="http://127.0.0.1:$LEAN_PORT/apps/bench/keepalive/hello.txt"
  inside keepalive 'protocol_version' "$SECONDS_PER_RUN" "$c"
  echo "== the platform's HTTP stack alone (the ingress's own 308 redirect, no sandbox), concurrency $c"
  java ops/bench/IngressBench.java "$SECONDS_PER_RUN" "$c" redirect="http://127.0.0.1:$PORT/apps/bench/single" \
    lean-redirect="http://127.0.0.1:$LEAN_PORT/apps/bench/single"
done
# thread hand-offs, counted rather than assumed: context switches of the platform's threads per
# request (its own 308 redirect, nothing proxied; one request at a time, a new connection each)
switches() {  # [thread name prefix]: context switches so far of the platform's threads (of those named so)
  for t in /proc/"$APP"/task/*; do
    case "$(cat "$t/comm" 2>/dev/null)" in "${1:-}"*) awk '/ctxt_switches/ {n += $2} END {print n}' "$t/status" 2>/dev/null;; esac
  done | awk '{n += $1} END {print n}'
}
per_request() {  # url [thread name prefix]: context switches per request over 500 requests
  local before after; before=$(switches "${2:-}")
  for _ in $(seq 1 500); do curl -s -o /dev/null "$1"; done
  after=$(switches "${2:-}"); awk -v a="$after" -v b="$before" 'BEGIN {printf "%.1f", (a - b) / 500}'
}
echo "== the platform's context switches per new-connection request (308 redirect, 500 one at a time):" \
  "platform port $(per_request "http://127.0.0.1:$PORT/apps/bench/single")," \
  "ingress port $(per_request "http://127.0.0.1:$LEAN_PORT/apps/bench/single")" \
  "(the ingress port's own threads: $(per_request "http://127.0.0.1:$LEAN_PORT/apps/bench/single" ingress-))"
echo "== load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${RESTARTS:-0}" -gt 0 ]; then
  ratios=()
  for round in $(seq 1 "$RESTARTS"); do
    api -X POST "http://127.0.0.1:$PORT/api/v1/tenants/bench/services/single/stop" >/dev/null; sleep 1
    api -X POST "http://127.0.0.1:$PORT/api/v1/tenants/bench/services/single/start" >/dev/null
    for _ in $(seq 1 100); do
      [ "$(api "http://127.0.0.1:$PORT/api/v1/tenants/bench/services/single" | jq -r .status)" = HEALTHY ] && break; sleep 0.2
    done
    curl -s -o /dev/null "http://127.0.0.1:$LEAN_PORT/apps/bench/single/hello.txt"; sleep 1
    pid=$(sandboxed 'h.HTTPServer(')
    line=$(java ops/bench/IngressBench.java "$SECONDS_PER_RUN" 1 direct="http://127.0.0.1:$((DIRECT_PORT + 1))/hello.txt" \
      lean="http://127.0.0.1:$LEAN_PORT/apps/bench/single/hello.txt" | grep '^overhead lean')
    echo "== restart $round, service on CPU $(taskset -pc "$pid" | awk '{print $NF}'): $line"
    ratios+=("$(sed -E 's/.*throughput ([0-9]+)%.*/\1/' <<< "$line")")
  done
  echo "== single-threaded server, concurrency 1, ingress port: median $(printf '%s\n' "${ratios[@]}" | sort -n |
    awk '{a[NR] = $1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}')% of direct over $RESTARTS restarts"
fi
echo "== as the service API shows them"
for s in threading single keepalive; do
  api "http://127.0.0.1:$PORT/api/v1/tenants/bench/services/$s" | jq -c '{name, status, restarts, requests}'
done
