#!/usr/bin/env bash
# This build's sandbox against a previous build's, side by side in one run, on both platforms.
#
#   ops/bench/against-previous.sh REV          # e.g. the commit before an engine refactor
#   RUNS=7 DIV=4 ops/bench/against-previous.sh REV
#
# Both jars run the same static loop programs from shared/bench/src (they time themselves, so
# start-up is excluded) through the command line, alternating previous/current in every round
# so that a change of load during the run falls on both alike. Start-up of /bin/true (ptrace)
# and of a static program (KVM) are timed from outside. The medians are printed with the ratio
# current/previous; the load average is printed at both ends. Run by hand, as root, not by CI.
set -euo pipefail
REV=${1:?usage: against-previous.sh REV}
RUNS=${RUNS:-5}
DIV=${DIV:-1}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
# shared/ lies beside the main checkout
SRC=${SRC:-$(cd "$(git -C "$REPO" rev-parse --path-format=absolute --git-common-dir)/../.." && pwd)/shared/bench/src}
WORK=$(mktemp -d /var/tmp/palisade-against.XXXXXX)
TSV=$WORK/results.tsv
cleanup() { git -C "$REPO" worktree remove --force "$WORK/prev" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
log() { printf '%s\n' "$*" >&2; }
nn() { local x=$(($1 / DIV)); [ "$x" -gt 0 ] || x=1; echo "$x"; }

log "building the current jar and the jar of $REV"
(cd "$REPO" && ./mvnw -B -q -ntp -pl sandbox-engine package -DskipTests)
git -C "$REPO" worktree add -q --detach "$WORK/prev" "$REV"
(cd "$WORK/prev" && ./mvnw -B -q -ntp -pl sandbox-engine package -DskipTests)
declare -A JAR=([previous]="$WORK/prev/sandbox-engine/target/palisade-sandbox.jar"
                [current]="$REPO/sandbox-engine/target/palisade-sandbox.jar")

mkdir -p "$WORK/bin"
# static, so that the KVM platform (static programs only in both builds) runs the same files
for p in getppid_loop write_devnull stat_loop open_read_close; do
  gcc -O2 -static -o "$WORK/bin/$p" "$SRC/$p.c"
done
gcc -O2 -o "$WORK/bin/fork_exec" "$SRC/fork_exec.c"
chmod -R a+rX "$WORK"
declare -A N=([getppid_loop]=200000 [write_devnull]=2000000 [stat_loop]=200000 [open_read_close]=100000 [fork_exec]=500)
# every call is a VM exit on KVM: fewer iterations keep a round under a minute
declare -A NKVM=([getppid_loop]=20000 [write_devnull]=20000 [stat_loop]=5000 [open_read_close]=5000)
declare -A ROWS=([ptrace]="write_devnull getppid_loop stat_loop open_read_close fork_exec"
                 [kvm]="write_devnull getppid_loop stat_loop open_read_close")
platforms="ptrace"
if [ -c /dev/kvm ]; then platforms="ptrace kvm"; else log "no /dev/kvm: KVM rows skipped"; fi

# loop BUILD PLATFORM PROGRAM: one run, records its ns_per_op
loop() {
  local build=$1 platform=$2 prog=$3 n=${N[$3]}
  [ "$platform" = kvm ] && n=${NKVM[$prog]}
  java -jar "${JAR[$build]}" run --platform "$platform" --bind "$WORK/bin:/bench-bin:ro" -- \
      "/bench-bin/$prog" "$(nn "$n")" </dev/null 2>>"$WORK/stderr.log" \
    | awk -v b="$build" -v p="$platform" -v r="$prog" '
        /ns_per_op=/ { for (i=1;i<=NF;i++) if ($i ~ /^ns_per_op=/) { split($i,a,"="); printf "%s\t%s\t%s\t%s\n", b, p, r, a[2] } }' >>"$TSV"
}

# startup BUILD PLATFORM: wall time of one sandbox start to exit, from outside, in ns
startup() {
  local build=$1 platform=$2 prog=/bin/true
  [ "$platform" = kvm ] && prog=/bench-bin/getppid_loop
  local t0 t1
  t0=$(date +%s%N)
  java -jar "${JAR[$build]}" run --platform "$platform" --bind "$WORK/bin:/bench-bin:ro" -- $prog 1 \
      >/dev/null 2>>"$WORK/stderr.log" </dev/null || true
  t1=$(date +%s%N)
  printf '%s\t%s\tstartup_cli\t%s\n' "$build" "$platform" "$((t1 - t0))" >>"$TSV"
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq "$RUNS"); do
  for platform in $platforms; do
    for prog in ${ROWS[$platform]}; do
      for build in previous current; do
        log "round $r/$RUNS $platform $prog $build"
        loop "$build" "$platform" "$prog"
      done
    done
    for build in previous current; do startup "$build" "$platform"; done
  done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

echo "# current ($(git -C "$REPO" rev-parse --short HEAD)) against previous ($(git -C "$REPO" rev-parse --short "$REV")), $(date -u +%FT%TZ), $(uname -r), $(nproc) cpus"
echo "# load average at the start: $load_start; at the end: $load_end; median of $RUNS alternating rounds"
python3 - "$TSV" <<'PY'
import collections, statistics, sys
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    build, platform, prog, v = line.rstrip("\n").split("\t")
    rows[(platform, prog, build)].append(float(v))
print("| platform | row | previous | current | current/previous |")
print("|---|---|---:|---:|---:|")
seen = []
for (platform, prog, _b) in rows:
    if (platform, prog) not in seen:
        seen.append((platform, prog))
def show(ns):
    return "%.2f ms" % (ns / 1e6) if ns >= 1e6 else "%.2f µs" % (ns / 1e3)
for platform, prog in seen:
    p = rows.get((platform, prog, "previous")); c = rows.get((platform, prog, "current"))
    if not p or not c:
        print("| %s | %s | %s | %s | — |" % (platform, prog, p and show(statistics.median(p)) or "failed", c and show(statistics.median(c)) or "failed"))
        continue
    mp, mc = statistics.median(p), statistics.median(c)
    print("| %s | %s | %s | %s | %.2f |" % (platform, prog, show(mp), show(mc), mc / mp))
PY
