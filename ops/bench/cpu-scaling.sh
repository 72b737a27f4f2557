#!/usr/bin/env bash
# Does a sandbox allowed N CPUs give a parallel program N CPUs? Run by hand, as root.
#
#   ops/bench/cpu-scaling.sh                 # RUNS=3, medians
#   JAR=/path/other.jar CPUS= ops/bench/cpu-scaling.sh   # an engine without --cpus (A/B)
#
# Rows (wall time measured inside, by the shell that runs the work, so the JVM's start is not
# counted; median of RUNS):
#   one busy process natively; two at once natively; two at once in a sandbox with --cpus 2 and
#   with --cpus 1; `make -j2` of 8 small C files natively and in a sandbox with --cpus 2.
# The goal: two busy processes in a sandbox allowed two CPUs within 1.2x of one natively.
# The last line, RESULT, gives that ratio and the load average (figures from a busy host say little).
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
# timed.sh SCRIPT: runs SCRIPT with sh and prints its wall time in ms (so a sandbox's own start-up is not counted)
t0=$(date +%s%N); sh -c "$1" >/dev/null 2>&1; t1=$(date +%s%N); echo $(((t1 - t0) / 1000000))
SH
chmod -R a+rX "$W"

PAL="java -jar $JAR run --bind $W:/w:ro"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# row NAME PREFIX... -- DIR SCRIPT: median wall time of SCRIPT (timed inside), DIR being where the files are
row() {
  local name=$1; shift
  local pre=() v
  while [ "$1" != "--" ]; do pre+=("$1"); shift; done
  shift
  local dir=$1 script=$2
  v=$(for r in $(seq "$RUNS"); do "${pre[@]}" /bin/sh "$dir/timed.sh" "$script" </dev/null 2>/dev/null | tail -1; done | median)
  printf '| %s | %s ms |\n' "$name" "$v" >&2
  echo "$v"
}
one=$(row "one busy process, native" env -- "$W" "$W/busy")
row "two busy processes at once, native" env -- "$W" "$W/busy & $W/busy & wait" >/dev/null
two=$(row "two busy processes at once, sandbox ${CPUS:-(no option)}" $PAL $CPUS -- /w '/w/busy & /w/busy & wait')
[ -n "$CPUS" ] && row "two busy processes at once, sandbox --cpus 1" $PAL --cpus 1 -- /w '/w/busy & /w/busy & wait' >/dev/null
row "make -j2 of 9 C files, native" env -- "$W" "rm -rf /tmp/o; cd $W/proj && make -s -j2" >/dev/null
row "make -j2 of 9 C files, sandbox ${CPUS:-(no option)}" $PAL $CPUS -- /w 'cd /w/proj && make -s -j2' >/dev/null
echo "RESULT two busy processes in a sandbox take $(awk -v a="$two" -v b="$one" 'BEGIN{printf "%.2f", a/b}')x one natively ($two ms vs $one ms); load average $(cut -d' ' -f1-3 /proc/loadavg)"
