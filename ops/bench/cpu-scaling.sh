#!/usr/bin/env bash
# Does a sandbox allowed N CPUs give a parallel program N CPUs? Run by hand, as root.
#
#   ops/bench/cpu-scaling.sh                 # RUNS=3, medians
#   WARM=1 ops/bench/cpu-scaling.sh          # fewer untimed builds before each make row
#   JAR=/path/other.jar CPUS= ops/bench/cpu-scaling.sh   # an engine without --cpus (A/B)
#
# Rows (wall time measured inside, by the shell that runs the work, so the JVM's start is not
# counted; median of RUNS):
#   one busy process natively; two at once natively; two at once in a sandbox with --cpus 2 and
#   with --cpus 1; `make -j1` and `make -j2` of 9 small C files natively and in a sandbox with
#   --cpus 2, each after WARM (5) untimed builds in the same sandbox (a platform node's engine is
#   long-lived: its Sentry's code is compiled, as it is not in a fresh CLI JVM).
# The goals: two busy processes in a sandbox allowed two CPUs within 1.2x of one natively, and
# `make -j2` gaining over `make -j1` in the sandbox as it does natively.
# The last lines, RESULT, give those ratios and the load average (figures from a busy host say little).
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
JAR=${JAR:-$REPO/sandbox-engine/target/palisade-sandbox.jar}
RUNS=${RUNS:-3}
CPUS=${CPUS---cpus 2}
W=$(mktemp -d /tmp/palisade-cpu.XXXXXX)
trap 'rm -rf "$W"' EXIT
# the repository's engine jar (not one given in JAR) is rebuilt when a source is newer than it
if [ ! -f "$JAR" ] || { [ "$JAR" = "$REPO/sandbox-engine/target/palisade-sandbox.jar" ] \
    && [ -n "$(find "$REPO/sandbox-engine/src/main" -newer "$JAR" -print -quit)" ]; }; then
  (cd "$REPO" && ./mvnw -B -q -pl sandbox-engine package -DskipTests) || exit 1
fi

cat >"$W/busy.c" <<'C'
/* A fixed amount of CPU work (no system calls in the loop). */
int main(void) { volatile unsigned long x = 0; for (unsigned long i = 0; i < 600000000UL; i++) x += i ^ (x >> 3); return (int) (x & 1); }
C
gcc -O1 -o "$W/busy" "$W/busy.c" || exit 1
mkdir -p "$W/proj"
for i in 1 2 3 4 5 6 7 8; do
  printf 'int f%d(int n){int s=0;for(int i=0;i<n;i++)s+=i*%d;return s;}\n' "$i" "$i" >"$W/proj/f$i.c"
done
printf 'int main(void){return 0;}\n' >"$W/proj/main.c"
printf 'OBJS=$(patsubst %%.c,/tmp/o/%%.o,$(wildcard *.c))\nall: $(OBJS)\n/tmp/o/%%.o: %%.c\n\t@mkdir -p /tmp/o; gcc -O2 -c -o $@ $<\n' >"$W/proj/Makefile"
chmod -R a+rX "$W"

cat >"$W/timed.sh" <<'SH'
#!/bin/sh
# timed.sh SCRIPT [WARMUP]: runs WARMUP untimed (when given), then SCRIPT with sh, and prints SCRIPT's
# wall time in ms (so a sandbox's own start-up is not counted)
[ -n "${2:-}" ] && sh -c "$2" >/dev/null 2>&1
t0=$(date +%s%N); sh -c "$1" >/dev/null 2>&1; t1=$(date +%s%N); echo $(((t1 - t0) / 1000000))
SH
chmod -R a+rX "$W"

PAL="java -jar $JAR run --bind $W:/w:ro"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# row NAME PREFIX... -- DIR SCRIPT [WARMUP]: median wall time of SCRIPT (timed inside, after WARMUP), DIR being where the files are
row() {
  local name=$1; shift
  local pre=() v
  while [ "$1" != "--" ]; do pre+=("$1"); shift; done
  shift
  local dir=$1 script=$2 warm=${3:-}
  v=$(for r in $(seq "$RUNS"); do "${pre[@]}" /bin/sh "$dir/timed.sh" "$script" "$warm" </dev/null 2>/dev/null | tail -1; done | median)
  printf '| %s | %s ms |\n' "$name" "$v" >&2
  echo "$v"
}
one=$(row "one busy process, native" env -- "$W" "$W/busy")
row "two busy processes at once, native" env -- "$W" "$W/busy & $W/busy & wait" >/dev/null
two=$(row "two busy processes at once, sandbox ${CPUS:-(no option)}" $PAL $CPUS -- /w '/w/busy & /w/busy & wait')
[ -n "$CPUS" ] && row "two busy processes at once, sandbox --cpus 1" $PAL --cpus 1 -- /w '/w/busy & /w/busy & wait' >/dev/null
# make_row NAME J PREFIX... -- DIR: make -jJ of DIR/proj (objects in /tmp/o), after WARM untimed builds of it
WARM=${WARM:-5}
make_row() {
  local name=$1 j=$2; shift 2
  local proj=${!#}/proj
  row "$name" "$@" "rm -rf /tmp/o; cd $proj && make -s -j$j" \
    "cd $proj && for i in \$(seq $WARM); do make -s -j$j; rm -rf /tmp/o; done"
}
n1=$(make_row "make -j1 of 9 C files, native" 1 env -- "$W")
n2=$(make_row "make -j2 of 9 C files, native" 2 env -- "$W")
s1=$(make_row "make -j1 of 9 C files, sandbox ${CPUS:-(no option)}" 1 $PAL $CPUS -- /w)
s2=$(make_row "make -j2 of 9 C files, sandbox ${CPUS:-(no option)}" 2 $PAL $CPUS -- /w)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
echo "RESULT two busy processes in a sandbox take $(ratio "$two" "$one")x one natively ($two ms vs $one ms)"
echo "RESULT make -j2 is $(ratio "$n1" "$n2")x faster than -j1 natively ($n1 -> $n2 ms), $(ratio "$s1" "$s2")x in the sandbox ($s1 -> $s2 ms); load average $(cut -d' ' -f1-3 /proc/loadavg)"
