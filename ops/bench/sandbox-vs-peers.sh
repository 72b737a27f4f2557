#!/usr/bin/env bash
# Palisade's ptrace sandbox against native and its peers, side by side in one run.
#
#   ops/bench/sandbox-vs-peers.sh            # full run, ~4 min on the 2-core dev VM (as root)
#   RUNS=5 ops/bench/sandbox-vs-peers.sh     # more repetitions (median is reported)
#   DIV=10 ops/bench/sandbox-vs-peers.sh     # divide loop counts (quick smoke run)
#   ORDER="native native-pin0 palisade" ops/bench/sandbox-vs-peers.sh   # without the peers
#   chrt -f 10 ops/bench/sandbox-vs-peers.sh   # every process at SCHED_FIFO, when others share the machine
#
# Rows: start-up of /bin/true from the command line (hyperfine) and per sandbox in a warm JVM
# (ops/bench/WarmStart.java), a pass-through call (write 1 byte to /dev/null), an emulated call
# (getppid; also against the raw C tracer ptrace_bench in seccomp mode, pinned), stat, open+read+close,
# fork+exec of /bin/true, compiling a small C file with gcc, python3 -c 'import json', a read of
# 1 byte from /dev/zero. stat and open+read+close are path calls the Sentry serves (seccomp user
# notification): they are also run under the raw C supervisor unotify_bench (pinned, with
# SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, its best setting here) in the same run; fork+exec, gcc and
# python3 run under a raw C supervisor serving their path calls (unotify-run.c, column csuper) in each
# round, the floor of what serving costs inside those programs. Programs time themselves
# ("ns_per_op"), so loop rows exclude each wrapper's start-up; the gcc and python3 rows time the
# runs after a few untimed ones in the same sandbox or wrapper (WFAST, WSLOW, WPAL below).
# Peers run pinned to CPU 0 (taskset -c 0), their best configuration on this VM (see
# shared/bench/BASELINE.md); Palisade runs its tracer and the sandbox on the sandbox's CPUs (--cpus).
# Run by hand, not by CI. Output: a markdown table on stdout, raw data in $OUT.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shared/ lies beside the repository (as on the developers' machines and in CI)
SRC=${SRC:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/bench/src}
RUNS=${RUNS:-3}
DIV=${DIV:-1}
OUT=${OUT:-/var/tmp/palisade-bench-$(date +%Y%m%d-%H%M%S)}
JAR=$REPO/sandbox-engine/target/palisade-sandbox.jar
B=$OUT/bin
TSV=$OUT/results.tsv
mkdir -p "$B"
: >"$TSV"
log() { printf '%s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }
nn() { local x=$(($1 / DIV)); [ "$x" -gt 0 ] || x=1; echo "$x"; }

# --- tools -------------------------------------------------------------------------------
missing=""
for p in strace proot runsc hyperfine gcc; do have "$p" || missing="$missing $p"; done
if [ -n "$missing" ]; then
  log "installing:$missing"
  apt-get install -y $missing >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y $missing >/dev/null 2>&1; }
fi
# the repository's engine jar, rebuilt when a source is newer than it (a stale jar times old code)
if [ ! -f "$JAR" ] || [ -n "$(find "$REPO/sandbox-engine/src/main" -newer "$JAR" -print -quit)" ]; then
  (cd "$REPO" && ./mvnw -B -q -pl sandbox-engine package -DskipTests) || exit 1
fi
for p in getppid_loop stat_loop open_read_close write_devnull fork_exec ptrace_bench unotify_bench; do
  gcc -O2 -o "$B/$p" "$SRC/$p.c" -pthread || exit 1
done
gcc -O2 -o "$B/unotify-run" "$HERE/unotify-run.c" -pthread || exit 1
cat >"$B/read_devzero.c" <<'C'
/* read_devzero N: reads 1 byte from /dev/zero N times (a pass-through read) */
#include <fcntl.h>
#include <unistd.h>
#include "bench_common.h"
int main(int argc, char **argv) {
    long n = parse_n(argc, argv, 1000000);
    int fd = open("/dev/zero", O_RDONLY);
    char c;
    long long t0 = now_ns();
    for (long i = 0; i < n; i++) if (read(fd, &c, 1) != 1) { perror("read"); return 1; }
    report("read_devzero", n, now_ns() - t0);
    return 0;
}
C
cp "$SRC/hello.c" "$B/hello.c"
cp "$SRC/bench_common.h" "$B/"
gcc -O2 -I"$B" -o "$B/read_devzero" "$B/read_devzero.c" || exit 1
cat >"$B/seccomp_floor.c" <<'C'
/* seccomp_floor write|read N: the pass-through loops under a one-instruction seccomp filter
 * (allow everything): what any filter costs a call on this kernel, the floor of the pass-through rows */
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "bench_common.h"
int main(int argc, char **argv) {
    int w = argc > 1 && strcmp(argv[1], "write") == 0;
    long n = parse_n(argc - 1, argv + 1, 1000000);
    struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    struct sock_fprog prog = {1, allow};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) { perror("seccomp"); return 1; }
    int fd = open(w ? "/dev/null" : "/dev/zero", w ? O_WRONLY : O_RDONLY);
    char c = 0;
    long long t0 = now_ns();
    for (long i = 0; i < n; i++) if ((w ? write(fd, &c, 1) : read(fd, &c, 1)) != 1) { perror("io"); return 1; }
    report(w ? "write_devnull" : "read_devzero", n, now_ns() - t0);
    return 0;
}
C
gcc -O2 -I"$B" -o "$B/seccomp_floor" "$B/seccomp_floor.c" || exit 1
cat >"$B/python_loop.sh" <<'SH'
#!/bin/sh
# python_loop.sh N [W]: runs python3 -c 'import json' W times untimed, then N times, prints its own ns per run
n=$1; i=0; w=${2:-0}
# the system's interpreter by its path: a PATH with a version manager's shim first would time the shim
while [ $i -lt "$w" ]; do /usr/bin/python3 -c 'import json' || exit 1; i=$((i+1)); done
i=0; t0=$(date +%s%N)
while [ $i -lt "$n" ]; do /usr/bin/python3 -c 'import json' || exit 1; i=$((i+1)); done
t1=$(date +%s%N); echo "python_import_json N=$n total_ns=$((t1-t0)) ns_per_op=$(((t1-t0)/n))"
SH
chmod +x "$B/python_loop.sh"
cat >"$B/gcc_loop.sh" <<'SH'
#!/bin/sh
# gcc_loop.sh N [W]: compiles hello.c W times untimed, then N times, prints its own ns per compile
n=$1; i=0; w=${2:-0}; d=$(dirname "$0")
while [ $i -lt "$w" ]; do gcc -O2 -o /tmp/palisade-bench-hello "$d/hello.c" || exit 1; i=$((i+1)); done
i=0; t0=$(date +%s%N)
while [ $i -lt "$n" ]; do gcc -O2 -o /tmp/palisade-bench-hello "$d/hello.c" || exit 1; i=$((i+1)); done
t1=$(date +%s%N); echo "gcc_compile N=$n total_ns=$((t1-t0)) ns_per_op=$(((t1-t0)/n))"
SH
chmod +x "$B/gcc_loop.sh"
chmod -R a+rX "$OUT"

# --- wrappers (label -> prefix) ------------------------------------------------------------
PAL="java -jar $JAR run --bind $B:$B:ro --"
declare -A WRAP=(
  [native]=""
  [native-pin0]="taskset -c 0"
  [palisade]="$PAL"
  [strace]="taskset -c 0 strace -f -qq -o /dev/null"
  [proot]="taskset -c 0 proot -r /"
  [runsc]="taskset -c 0 runsc --network=none --platform=ptrace do"
)
# the programs' rows also run under the raw C supervisor serving the same path calls (unotify-run.c):
# what serving them costs inside a real program with no Sentry's work at all, the floor of those rows
WRAP[csuper]="$B/unotify-run pin sync --"
FLOORED="fork_exec gcc_loop.sh python_loop.sh"
ORDER=${ORDER:-native native-pin0 palisade strace proot runsc}
declare -A NFAST=([getppid_loop]=2000000 [stat_loop]=500000 [open_read_close]=200000 [write_devnull]=2000000 [read_devzero]=2000000
                  [fork_exec]=1000 [gcc_loop.sh]=10 [python_loop.sh]=10)
declare -A NSLOW=([getppid_loop]=30000 [stat_loop]=20000 [open_read_close]=10000 [write_devnull]=30000 [read_devzero]=30000
                  [fork_exec]=200 [gcc_loop.sh]=3 [python_loop.sh]=3)
PROGS="write_devnull read_devzero getppid_loop stat_loop open_read_close fork_exec gcc_loop.sh python_loop.sh"
# untimed runs first, in the same sandbox or wrapper: the steady state, as a platform workload meets
# it (page cache warm). Under palisade, more of them: a platform node's engine is long-lived, so the
# Sentry's Java that a gcc or python3 run reaches (exec, fork, the path calls of its mix) is compiled
# by C2; a few dozen runs leave it at C1's profiling tier. The loop programs above run long enough
# to warm up within their own timed count.
declare -A WFAST=([gcc_loop.sh]=5 [python_loop.sh]=20) WSLOW=([gcc_loop.sh]=1 [python_loop.sh]=1) \
           WPAL=([gcc_loop.sh]=40 [python_loop.sh]=150)

# run LABEL BENCH CMD... : one run; records every "name N=.. ns_per_op=x" line
run() {
  local label=$1 bench=$2; shift 2
  echo "$*" >>"$OUT/commands.log"
  "$@" 2>>"$OUT/stderr.log" </dev/null | cat | awk -v l="$label" -v b="$bench" '
    /ns_per_op/ { for (i=1;i<=NF;i++) if ($i ~ /^ns_per_op=/) { split($i,a,"="); printf "%s\t%s\t%s\n", l, b, a[2] } }' >>"$TSV"
}

log "== loops (each round runs every wrapper in turn, so that they meet the same machine)"
for p in $PROGS; do
  for r in $(seq "$RUNS"); do
    ws=$ORDER
    case " $FLOORED " in *" $p "*) ws="$ORDER csuper" ;; esac
    for w in $ws; do
      case $w in
        native|native-pin0|csuper) n=$(nn "${NFAST[$p]}"); warm=${WFAST[$p]:-} ;;
        palisade) n=$(nn "${NFAST[$p]}"); warm=${WPAL[$p]:-}; [ "$p" = getppid_loop ] && n=$(nn 200000) ;;
        *) n=$(nn "${NSLOW[$p]}"); warm=${WSLOW[$p]:-} ;;
      esac
      log "$w $p $n ($r/$RUNS)"
      # shellcheck disable=SC2086
      run "$w" "$p" ${WRAP[$w]} "$B/$p" "$n" $warm
    done
  done
done
log "== the pass-through loops under a one-instruction seccomp filter (the floor of any filter)"
for r in $(seq "$RUNS"); do
  run sfloor write_devnull "$B/seccomp_floor" write "$(nn 2000000)"
  run sfloor read_devzero "$B/seccomp_floor" read "$(nn 2000000)"
done
log "== raw C tracer (ptrace_bench seccomp, pinned)"
for r in $(seq "$RUNS"); do
  run ctracer getppid_loop taskset -c 0 "$B/ptrace_bench" seccomp "$B/getppid_loop" "$(nn 200000)"
done

log "== raw C supervisor (unotify_bench: openat with ADDFD|SEND, newfstatat with a memory write)"
for r in $(seq "$RUNS"); do
  for m in stat open; do
    bench=stat_loop; [ $m = open ] && bench=open_read_close
    n=$(nn "${NFAST[$bench]}")
    echo "unotify_bench $m $n pin sync" >>"$OUT/commands.log"
    "$B/unotify_bench" $m "$n" pin sync 2>>"$OUT/stderr.log" | awk -v b=$bench '{ printf "csuper\t%s\t%s\n", b, $NF }' >>"$TSV"
    "$B/unotify_bench" $m "$n" sync 2>>"$OUT/stderr.log" | awk -v b=$bench '{ printf "csuper-unpinned\t%s\t%s\n", b, $NF }' >>"$TSV"
  done
done

log "== start-up of /bin/true (hyperfine)"
for w in $ORDER; do
  runs=30; [ "$w" = runsc ] && runs=10
  cmd="${WRAP[$w]:+${WRAP[$w]} }/bin/true"
  [ "$w" = palisade ] && cmd="java -jar $JAR run -- /bin/true"
  echo "hyperfine $cmd" >>"$OUT/commands.log"
  hyperfine -N --warmup 3 --runs "$runs" --export-json "$OUT/startup-$w.json" "$cmd" >>"$OUT/hyperfine.log" 2>&1 \
    && python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%s\tstartup_cli\t%.0f" % (sys.argv[2], r["median"]*1e9))' \
       "$OUT/startup-$w.json" "$w" >>"$TSV" || log "FAIL startup $w"
done

log "== start-up per sandbox in a warm JVM"
for r in $(seq "$RUNS"); do
  run palisade startup_warm java -cp "$JAR" "$HERE/WarmStart.java" "$(nn 300)"
  run palisade startup_warm_workspace java -cp "$JAR" "$HERE/WarmStart.java" "$(nn 300)" /bin/true "$(nn 300)" workspace
done

python3 - "$TSV" <<'PY'
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    l, b, v = line.rstrip("\n").split("\t")
    rows[(l, b)].append(float(v))
med = {k: statistics.median(v) for k, v in rows.items()}
cols = [c for c in ["native", "native-pin0", "palisade", "csuper", "strace", "proot", "runsc"] if any(k[0] == c for k in med)]
names = [("startup_cli", "start-up /bin/true, command line"), ("startup_warm", "start-up /bin/true, per sandbox in a warm JVM"),
         ("startup_warm_workspace", "start-up /bin/true, warm JVM, host /workspace (as platform workloads)"),
         ("write_devnull", "pass-through call (write 1 B to /dev/null)"), ("read_devzero", "pass-through call (read 1 B from /dev/zero)"),
         ("getppid_loop", "emulated call (getppid)"),
         ("stat_loop", "stat /etc/hostname"), ("open_read_close", "open+read+close /etc/hostname"),
         ("fork_exec", "fork+exec+wait /bin/true"), ("gcc_loop.sh", "gcc -O2 hello.c"),
         ("python_loop.sh", "python3 -c 'import json'")]
def fmt(ns):
    return "%.2f ms" % (ns / 1e6) if ns >= 1e5 else "%.0f ns" % ns if ns < 1e4 else "%.1f µs" % (ns / 1e3)
print("| benchmark | " + " | ".join(cols) + " |")
print("|---|" + "---:|" * len(cols))
for b, title in names:
    # the baseline is the faster of native and native pinned to one CPU (Palisade pins itself)
    nb = "startup_cli" if b.startswith("startup_warm") else b
    bases = [med[k] for k in (("native", nb), ("native-pin0", nb)) if k in med]
    base = min(bases) if bases else None
    cells = []
    for c in cols:
        v = med.get((c, b))
        if v is None:
            cells.append("–")
        elif base and not c.startswith("native"):
            cells.append("%s (%.2f×)" % (fmt(v), v / base))
        else:
            cells.append(fmt(v))
    print("| %s | %s |" % (title, " | ".join(cells)))
# the rows whose run takes milliseconds swing with the machine from round to round: each round's own
# ratio (palisade against the faster native run of that round, which ran just before it) as well
def to_native(label, b):
    """Each round's run of `label` against the faster native run of that round."""
    nat = [rows.get((l, b), []) for l in ("native", "native-pin0")]
    return [v / min(n[i] for n in nat if i < len(n))
            for i, v in enumerate(rows.get((label, b), [])) if any(i < len(n) for n in nat)]
def listed(rs):
    return "median %.2f× (%s)" % (statistics.median(rs), ", ".join("%.2f" % r for r in rs))
for b, what in (("fork_exec", "fork+exec"), ("gcc_loop.sh", "gcc"), ("python_loop.sh", "python3")):
    per, floor = to_native("palisade", b), to_native("csuper", b)
    if per:
        print("\n%s, ratio to native per round: %s." % (what, listed(per)))
    over = [p / c for p, c in zip(rows.get(("palisade", b), []), rows.get(("csuper", b), []))]
    if floor and over:
        print("%s under the raw C supervisor serving the same path calls (unotify-run, pinned, SYNC_WAKE_UP), "
              "ratio to native per round: %s; Palisade to it: %s." % (what[0].upper() + what[1:], listed(floor), listed(over)))
for b, what in (("write_devnull", "write"), ("read_devzero", "read")):
    fl = med.get(("sfloor", b)); pa = med.get(("palisade", b)); nb = [med[k] for k in (("native", b), ("native-pin0", b)) if k in med]
    if fl and pa and nb:
        print("\nPass-through %s under a one-instruction seccomp filter (allow all), the floor of any filter: %s = %.2f× native; "
              "Palisade %s = %.2f× that floor." % (what, fmt(fl), fl / min(nb), fmt(pa), pa / fl))
ct = med.get(("ctracer", "getppid_loop")); pe = med.get(("palisade", "getppid_loop"))
if ct and pe:
    print("\nEmulated getppid: Palisade %s vs the raw C tracer (ptrace_bench seccomp, pinned) %s = %.2f× the C round trip."
          % (fmt(pe), fmt(ct), pe / ct))
for b, what in (("stat_loop", "stat"), ("open_read_close", "open+read+close")):
    cs = med.get(("csuper", b)); pa = med.get(("palisade", b)); cu = med.get(("csuper-unpinned", b))
    if cs and pa:
        print("\nServed %s: Palisade %s vs the raw C supervisor (unotify_bench, pinned, SYNC_WAKE_UP) %s = %.2f× "
              "(C unpinned with SYNC_WAKE_UP: %s)." % (what, fmt(pa), fmt(cs), pa / cs, fmt(cu) if cu else "–"))
print("\nRatios are to the faster of native and native pinned to CPU 0 (warm-JVM start-up: to native /bin/true"
      " from the command line). Median of the runs. Load average at the end: " + open("/proc/loadavg").read().split()[0])
PY
log "raw data in $OUT"
