#!/usr/bin/env bash
# Ingress benchmark (by hand, not in CI): the same python3 -m http.server reached directly on
# the host and through Palisade's ingress ({service}.{tenant}.apps.localhost → a socket opened inside
# the service sandbox's network namespace), side by side in one run: "direct", "floor" (the least
# a hop costs: floor-proxy.c, built here), "ingress" (the platform port, Tomcat), "netty" (the
# dedicated ingress port, palisade.services.ingress.port: the Netty front) and "lean" (the same
# port of the build before it, the hand-written front, from OLD_JAR; built from `git archive main`
# when OLD_JAR=build). Then the Netty front alone over TLS (a self-signed wildcard certificate
# made here; session resumption on and off), HTTP/2 over TLS and h2c with 1 and 8 streams on one
# connection (h2-probe.py),
# and WebSocket echo round trips (ws-echo.py in a sandbox), and its CPU per request.
#
#   ops/bench/ingress-bench.sh [SECONDS] [CONCURRENCY...]     (defaults: 10 s; 1 and 8)
#   JAR=/path/palisade.jar ...      another build (to compare two, run them one after the other)
#   OLD_JAR=/path/old.jar|build    the lean front's build beside it (another instance, ports +100)
#   LEAN_ENGINE=this ...           that build run with JAR's sandbox engine (its nested engine jar swapped),
#                                   so that the lean rows differ from the Netty rows by the front only: the
#                                   lean front's build predates the Sentry's serving of path calls, which
#                                   costs the service itself (python's stat and open of each file) in its sandbox
#   WARMUP=S ...                    S seconds of traffic through each front before the first row
#                                   (default 10; the Netty front's code takes tens of seconds of it to be compiled)
#   RESTARTS=K ...                  then the row that swings most between runs (one client at a time,
#                                   single-threaded server) K times more, each after a restart of the
#                                   service, and its median beside the floor's (and the lean front's)
#   RT=1 ...                        every process of the bench (servers, platforms, floor, load generators)
#                                   at real-time priority (SCHED_FIFO 10), so that other work on the
#                                   machine (a build, say) cannot take their CPUs mid-run; all targets alike
#
# Needs root (the ptrace platform) and a built jar (./mvnw -B package -DskipTests -pl platform-app -am).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN=${1:-10}
RUN=(); [ "${RT:-0}" = 1 ] && RUN=(chrt -f 10)
shift || true
[ $# -gt 0 ] && CONCURRENCY=("$@") || CONCURRENCY=(1 8)
PORT=${PORT:-18080}
DIRECT_PORT=${DIRECT_PORT:-18090}
LEAN_PORT=${LEAN_PORT:-18085}
TLS_PORT=${TLS_PORT:-18443}
OLD_PORT=$((PORT + 100))
OLD_LEAN_PORT=$((LEAN_PORT + 100))
FLOOR_PORT=${FLOOR_PORT:-18095}
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
FLOORS=()
OLD_APP=
LEAN_SWAP=
cleanup() { kill "$APP" $OLD_APP "$DIRECT" "$DIRECT1" "$DIRECT2" "${FLOORS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$DATA" "$SITE" $LEAN_SWAP; }
trap cleanup EXIT

# the direct baseline: the same server, same file, on the host
(cd "$SITE" && exec "${RUN[@]}" python3 -m http.server "$DIRECT_PORT" --bind 127.0.0.1 >/dev/null 2>&1) & DIRECT=$!
(cd "$SITE" && exec "${RUN[@]}" python3 -c "$PY_SINGLE" "$((DIRECT_PORT + 1))" >/dev/null 2>&1) & DIRECT1=$!
(cd "$SITE" && exec "${RUN[@]}" python3 -c "$PY_KEEPALIVE" "$((DIRECT_PORT + 2))" >/dev/null 2>&1) & DIRECT2=$!

# the TLS port's certificate: self-signed, for names none of the bench's services has, so that the
# plain port does not redirect them to HTTPS; the TLS rows get it as the port's default certificate
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$DATA/key.pem" -out "$DATA/chain.pem" \
  -days 2 -subj /CN=bench -addext "subjectAltName=DNS:*.tls.apps.localhost" 2>/dev/null
# names under .localhost for the Java clients of the TLS, HTTP/2 and WebSocket rows (glibc does not resolve them here)
for s in threading single keepalive wsecho; do echo "127.0.0.1 $s.bench.apps.localhost"; done > "$DATA/hosts"
if [ "${OLD_JAR:-}" = build ]; then
  echo "== building the lean front's jar from main"
  OLD_SRC=$(mktemp -d /tmp/palisade-bench-main-XXXX)
  git archive main | tar -x -C "$OLD_SRC"
  (cd "$OLD_SRC" && ./mvnw -B -ntp -q -o package -DskipTests -pl platform-app -am) && OLD_JAR="$OLD_SRC/platform-app/target/palisade.jar"
fi
if [ -n "${OLD_JAR:-}" ] && [ "${LEAN_ENGINE:-}" = this ]; then
  LEAN_SWAP=$(mktemp -d /tmp/palisade-bench-lean-XXXX)
  ENGINE=$(unzip -Z1 "${JAR:-platform-app/target/palisade.jar}" 'BOOT-INF/lib/sandbox-engine-*.jar')
  unzip -Z1 "$OLD_JAR" "$ENGINE" >/dev/null 2>&1 || { echo "== the lean build has no $ENGINE to swap" >&2; exit 1; }
  unzip -q -d "$LEAN_SWAP" "${JAR:-platform-app/target/palisade.jar}" "$ENGINE"
  cp "$OLD_JAR" "$LEAN_SWAP/lean.jar"
  (cd "$LEAN_SWAP" && zip -q -0 lean.jar "$ENGINE")   # stored: Spring Boot's loader reads nested jars in place
  OLD_JAR=$LEAN_SWAP/lean.jar
  echo "== the lean front runs on this build's sandbox engine"
fi
start_app() {  # jar, port, ingress port, data dir, extra arguments…: the pid in STARTED
  # (the bench tenant's four services on one node: more than a tenant's default share of the service pool)
  local jar=$1 port=$2 ingress=$3 data=$4; shift 4; mkdir -p "$data"
  PALISADE_ADMIN_PASSWORD=$PW "${RUN[@]}" java -Xmx1g -jar "$jar" --server.port="$port" \
    --palisade.services.ingress.port="$ingress" --palisade.services.ingress.bind=127.0.0.1 \
    --palisade.data-dir="$data" --logging.level.root=WARN \
    --palisade.dispatcher.service-capacity=8 --palisade.dispatcher.tenant-share=1 \
    "$@" > "$data/app.log" 2>&1 & STARTED=$!
  for _ in $(seq 1 240); do curl -sf "http://127.0.0.1:$port/actuator/health" >/dev/null && break; sleep 0.5; done
}
start_app "${JAR:-platform-app/target/palisade.jar}" "$PORT" "$LEAN_PORT" "$DATA" \
  --palisade.services.ingress.tls.port="$TLS_PORT" \
  --palisade.services.ingress.tls.certificates[0].chain="$DATA/chain.pem" \
  --palisade.services.ingress.tls.certificates[0].key="$DATA/key.pem"
APP=$STARTED
api() { curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }
setup() {  # port: the bench tenant and its services on that instance (TOKEN set for it)
  B=http://127.0.0.1:$1
  TOKEN=$(curl -sf -u admin:"$PW" -H 'Content-Type: application/json' -d '{"name":"bench"}' "$B/api/v1/tokens" | jq -r .token)
  api -d '{"slug":"bench","displayName":"Bench"}' "$B/api/v1/tenants" >/dev/null
  api -X PUT -d '{"maxConcurrentWorkloads":10,"maxCpuMillis":3600000,"maxWallMillis":3600000,"maxMemoryBytes":4294967296,
    "maxProcesses":256,"maxOutputBytes":1048576,"cpuSecondsPerMonth":1000000,"storageBytes":1073741824}' \
    "$B/api/v1/tenants/bench/quota" >/dev/null
  deploy threading 'import http.server as h,sys; h.test(HandlerClass=h.SimpleHTTPRequestHandler, ServerClass=h.ThreadingHTTPServer, port=int(sys.argv[1]), bind="127.0.0.1")'
  deploy single "$PY_SINGLE"
  deploy keepalive "$PY_KEEPALIVE"
}
deploy() {  # name, python command
  jq -n --arg name "$1" --arg c "$(cat "$SITE/hello.txt")" --arg py "$2" '{name: $name, port: 8000, healthPath: "/hello.txt",
    command: ["/bin/sh", "-c", "printf %s \"$C\" > hello.txt && exec python3 -c \"$PY\" 8000 2>/dev/null"],
    env: {C: $c, PY: $py}}' | curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d @- \
    "$B/api/v1/tenants/bench/services" > "$DATA/deploy-$1.json"
  healthy "$1"
}
healthy() {  # name: waits for the service; says why when it does not come up
  for _ in $(seq 1 200); do
    [ "$(api "$B/api/v1/tenants/bench/services/$1" | jq -r .status)" = HEALTHY ] && return 0; sleep 0.2
  done
  echo "== service $1 is not healthy: $(cat "$DATA/deploy-$1.json" 2>/dev/null) $(api "$B/api/v1/tenants/bench/services/$1")" >&2
}
if [ -n "${OLD_JAR:-}" ]; then
  start_app "$OLD_JAR" "$OLD_PORT" "$OLD_LEAN_PORT" "$DATA/old"; OLD_APP=$STARTED
  setup "$OLD_PORT"; OLD_TOKEN=$TOKEN
  lean_target() { echo "lean=http://$1.bench.apps.localhost:$OLD_LEAN_PORT/hello.txt"; }
else
  echo "(no OLD_JAR: the lean front's rows are left out)"
  lean_target() { :; }
fi
setup "$PORT"
# the WebSocket echo for the round-trip rows (python, standard library only)
jq -n --rawfile py ops/bench/ws-echo.py '{name: "wsecho", port: 8000, command: ["python3", "-c", $py, "8000"]}' \
  | curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d @- \
    "$B/api/v1/tenants/bench/services" > "$DATA/deploy-wsecho.json"
healthy wsecho
for s in threading single keepalive; do
  cmp <(curl -sf "http://$s.bench.apps.localhost:$PORT/hello.txt") "$SITE/hello.txt" && echo "== $s: the same file through the ingress"
  cmp <(curl -sf "http://$s.bench.apps.localhost:$LEAN_PORT/hello.txt") "$SITE/hello.txt" && echo "== $s: the same file through the ingress port"
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
  if [ -n "$pid" ]; then "${RUN[@]}" nsenter -t "$pid" -n java ops/bench/IngressBench.java "$3" "$4" sandbox=http://127.0.0.1:8000/hello.txt
  else echo "(no sandboxed $1 server found: in-sandbox figures left out)"; fi
}
# the floor: the least a connection-per-request hop into the same sandbox costs on this machine
# (floor-proxy.c in C: accept, connect inside the sandbox's namespace, relay, close; no HTTP), in
# front of each sandboxed server, measured in the same runs ("floor" rows)
gcc -O2 -pthread -o "$DATA/floor-proxy" ops/bench/floor-proxy.c || echo "(no C compiler: the floor rows are left out)"
floor() {  # index (0 threading, 1 single, 2 keepalive), marker: (re)starts the floor before that sandboxed server
  local pid; pid=$(sandboxed "$2")
  [ -n "$pid" ] && [ -x "$DATA/floor-proxy" ] || return 0
  if [ -n "${FLOORS[$1]:-}" ]; then kill "${FLOORS[$1]}" 2>/dev/null || true; wait "${FLOORS[$1]}" 2>/dev/null || true; fi
  "${RUN[@]}" "$DATA/floor-proxy" "$((FLOOR_PORT + $1))" "$pid" 8000 & FLOORS[$1]=$!
}
floor_target() {  # index: the IngressBench target of that floor, if it runs
  [ -n "${FLOORS[$1]:-}" ] && echo "floor=http://127.0.0.1:$((FLOOR_PORT + $1))/hello.txt" || true
}
floor 0 'h.test('; floor 1 'h.HTTPServer('; floor 2 'protocol_version'
# both fronts warmed alike before any row: a front in service has long been compiled by the JIT,
# and the rows' own 2 s warm-up left the Netty front's larger code half interpreted
if [ "${WARMUP:-10}" -gt 0 ]; then
  echo "== warming the fronts up: ${WARMUP:-10} s for each of their targets"
  "${RUN[@]}" java ops/bench/IngressBench.java "${WARMUP:-10}" 1 \
    $(for s in single keepalive; do echo "w-$s=http://$s.bench.apps.localhost:$LEAN_PORT/hello.txt"; done) \
    $(for s in single keepalive; do lean_target "$s"; done) >/dev/null
fi
echo "== $(nproc) CPUs, $SECONDS_PER_RUN s per run, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for c in "${CONCURRENCY[@]}"; do
  echo "== threading server (python3 -m http.server), concurrency $c"
  "${RUN[@]}" java ops/bench/IngressBench.java "$SECONDS_PER_RUN" "$c" \
    direct="http://127.0.0.1:$DIRECT_PORT/hello.txt" $(floor_target 0) ingress="http://threading.bench.apps.localhost:$PORT/hello.txt" \
    netty="http://threading.bench.apps.localhost:$LEAN_PORT/hello.txt" $(lean_target threading)
  inside threading 'h.test(' "$SECONDS_PER_RUN" "$c"
  echo "== single-threaded server, concurrency $c"
  "${RUN[@]}" java ops/bench/IngressBench.java "$SECONDS_PER_RUN" "$c" \
    direct="http://127.0.0.1:$((DIRECT_PORT + 1))/hello.txt" $(floor_target 1) ingress="http://single.bench.apps.localhost:$PORT/hello.txt" \
    netty="http://single.bench.apps.localhost:$LEAN_PORT/hello.txt" $(lean_target single)
  inside single 'h.HTTPServer(' "$SECONDS_PER_RUN" "$c"
  echo "== keep-alive threading server (HTTP/1.1; the ingress reuses its connections into the sandbox), concurrency $c"
  "${RUN[@]}" java ops/bench/IngressBench.java "$SECONDS_PER_RUN" "$c" \
    direct="http://127.0.0.1:$((DIRECT_PORT + 2))/hello.txt" $(floor_target 2) ingress="http://keepalive.bench.apps.localhost:$PORT/hello.txt" \
    netty="http://keepalive.bench.apps.localhost:$LEAN_PORT/hello.txt" $(lean_target keepalive)
  inside keepalive 'protocol_version' "$SECONDS_PER_RUN" "$c"
  echo "== the platform's HTTP stack alone (the ingress's own 404 for a name under the apps domain that is no service, no sandbox), concurrency $c"
  "${RUN[@]}" java ops/bench/IngressBench.java "$SECONDS_PER_RUN" "$c" alone="http://nothing.apps.localhost:$PORT/" \
    netty-alone="http://nothing.apps.localhost:$LEAN_PORT/" \
    ${OLD_JAR:+lean-alone="http://nothing.apps.localhost:$OLD_LEAN_PORT/"}
  echo "== the Netty front over TLS (keep-alive server, one connection and handshake per request), concurrency $c"
  "${RUN[@]}" java -Djdk.net.hosts.file="$DATA/hosts" ops/bench/IngressBench.java "$SECONDS_PER_RUN" "$c" \
    direct="http://127.0.0.1:$((DIRECT_PORT + 2))/hello.txt" netty="http://keepalive.bench.apps.localhost:$LEAN_PORT/hello.txt" \
    https="https://keepalive.bench.apps.localhost:$TLS_PORT/hello.txt" \
    https-noresume="https://keepalive.bench.apps.localhost:$TLS_PORT/hello.txt"
  echo "== WebSocket echo round trips through the Netty front (a connection per client), concurrency $c"
  "${RUN[@]}" java -Djdk.net.hosts.file="$DATA/hosts" ops/bench/IngressBench.java "$SECONDS_PER_RUN" "$c" \
    ws="ws://wsecho.bench.apps.localhost:$LEAN_PORT/"
done
# HTTP/2 by a client of raw frames (h2-probe.py): the JDK's HTTP/2 client is slower than the front
# (538 req/s against 4,157 for the same row), so its figure was the client's
for streams in 1 8; do
  echo "== HTTP/2 through the Netty front: rounds of $streams concurrent streams on one connection (keep-alive server)"
  echo "h2 over TLS: $("${RUN[@]}" python3 ops/bench/h2-probe.py 127.0.0.1 "$TLS_PORT" "keepalive.bench.apps.localhost:$TLS_PORT" /hello.txt "$SECONDS_PER_RUN" "$streams" tls)"
  echo "h2c (prior knowledge): $("${RUN[@]}" python3 ops/bench/h2-probe.py 127.0.0.1 "$LEAN_PORT" "keepalive.bench.apps.localhost:$LEAN_PORT" /hello.txt "$SECONDS_PER_RUN" "$streams")"
done
# thread hand-offs and CPU, counted rather than assumed: context switches and time on a CPU of a
# process's threads, from /proc
tally() {  # pid, what (switches | cpu: ns on a CPU), [thread name prefix]: so far, of its threads (of those named so)
  for t in /proc/"$1"/task/*; do
    case "$(cat "$t/comm" 2>/dev/null)" in
      "${3:-}"*) if [ "$2" = cpu ]; then cut -d' ' -f1 "$t/schedstat"; else awk '/ctxt_switches/ {n += $2} END {print n}' "$t/status"; fi;;
    esac
  done 2>/dev/null | awk '{n += $1} END {print n}'
}
switches_per_request() {  # url, [thread name prefix]: the platform's context switches per request, 500 one at a time
  local before after; before=$(tally "$APP" switches "${2:-}")
  for _ in $(seq 1 500); do curl -s -o /dev/null "$1"; done
  after=$(tally "$APP" switches "${2:-}"); awk -v a="$after" -v b="$before" 'BEGIN {printf "%.1f", (a - b) / 500}'
}
cpu_per_request() {  # url, pid, [thread name prefix]: µs on a CPU per request answered, one client for a run
  local before after answered; before=$(tally "$2" cpu "${3:-}")
  answered=$("${RUN[@]}" java ops/bench/IngressBench.java "$SECONDS_PER_RUN" 1 x="$1" | awk '$1 == "x" {print $7}')
  after=$(tally "$2" cpu "${3:-}")
  awk -v a="$after" -v b="$before" -v n="$answered" 'BEGIN {printf "%.0f", (a - b) / 1000 / n}'
}
echo "== the platform's context switches per new-connection request (the ingress's own 404, 500 one at a time):" \
  "platform port $(switches_per_request "http://nothing.apps.localhost:$PORT/")," \
  "ingress port $(switches_per_request "http://nothing.apps.localhost:$LEAN_PORT/")" \
  "(the ingress port's own threads: $(switches_per_request "http://nothing.apps.localhost:$LEAN_PORT/" ingress))"
if [ -n "${FLOORS[1]:-}" ]; then
  echo "== CPU per request of the hop, single-threaded server, one client: the ingress port's threads" \
    "$(cpu_per_request "http://single.bench.apps.localhost:$LEAN_PORT/hello.txt" "$APP" ingress) µs," \
    "the floor $(cpu_per_request "http://127.0.0.1:$((FLOOR_PORT + 1))/hello.txt" "${FLOORS[1]}") µs"
fi
echo "== CPU per request of the Netty front's threads, keep-alive server, one client:" \
  "plain $(cpu_per_request "http://keepalive.bench.apps.localhost:$LEAN_PORT/hello.txt" "$APP" ingress) µs"
if [ -n "$OLD_APP" ]; then
  echo "== CPU per request of the lean front's threads, keep-alive server, one client:" \
    "$(cpu_per_request "http://keepalive.bench.apps.localhost:$OLD_LEAN_PORT/hello.txt" "$OLD_APP" ingress-) µs"
fi
echo "== load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }
share() { sed -E 's/.*throughput ([0-9]+)%.*/\1/'; }   # "overhead …; throughput N% of direct" → N
if [ "${RESTARTS:-0}" -gt 0 ]; then
  nettys=(); floors=(); olds=()
  restart() {  # platform port, its ingress port, its token: the single-threaded service stopped and started again
    local B=http://127.0.0.1:$1 TOKEN=$3   # what api and healthy use, for this instance
    api -X POST "$B/api/v1/tenants/bench/services/single/stop" >/dev/null; sleep 1
    api -X POST "$B/api/v1/tenants/bench/services/single/start" >/dev/null
    healthy single
    curl -s -o /dev/null "http://single.bench.apps.localhost:$2/hello.txt"
  }
  for round in $(seq 1 "$RESTARTS"); do
    restart "$PORT" "$LEAN_PORT" "$TOKEN"
    if [ -n "$OLD_APP" ]; then restart "$OLD_PORT" "$OLD_LEAN_PORT" "$OLD_TOKEN"; fi
    sleep 1
    pid=$(sandboxed 'h.HTTPServer(')
    floor 1 'h.HTTPServer('
    out=$("${RUN[@]}" java ops/bench/IngressBench.java "$SECONDS_PER_RUN" 1 direct="http://127.0.0.1:$((DIRECT_PORT + 1))/hello.txt" \
      $(floor_target 1) netty="http://single.bench.apps.localhost:$LEAN_PORT/hello.txt" $(lean_target single))
    echo "== restart $round, service on CPU $(taskset -pc "$pid" | awk '{print $NF}'):"
    grep '^overhead' <<< "$out"
    nettys+=("$(grep '^overhead netty' <<< "$out" | share)")
    if grep -q '^overhead floor' <<< "$out"; then floors+=("$(grep '^overhead floor' <<< "$out" | share)"); fi
    if grep -q '^overhead lean' <<< "$out"; then olds+=("$(grep '^overhead lean' <<< "$out" | share)"); fi
  done
  echo "== single-threaded server, concurrency 1, median over $RESTARTS restarts: ingress port" \
    "$(printf '%s\n' "${nettys[@]}" | median)% of direct${floors[0]:+, floor $(printf '%s\n' "${floors[@]}" | median)%}${olds[0]:+, lean $(printf '%s\n' "${olds[@]}" | median)%}"
fi
echo "== as the service API shows them"
for s in threading single keepalive; do
  api "http://127.0.0.1:$PORT/api/v1/tenants/bench/services/$s" | jq -c '{name, status, restarts, requests}'
done
