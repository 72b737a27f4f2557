#!/usr/bin/env bash
# KVM platform benchmark (by hand, not CI): start-up, syscall round trip, clock_gettime through
# the vDSO, busybox sha256sum over 100 MB and whole runs of programs (static and dynamic hello, /bin/echo, python3), side by
# side with native and the ptrace platform, plus the C spike's best paths measured in the same run.
# Usage: ops/bench/kvm-bench.sh [output-file]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-/dev/stdout}
work=$(mktemp -d /tmp/palisade-kvm-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
./mvnw -B -q -pl sandbox-engine package -DskipTests
jar=sandbox-engine/target/palisade-sandbox.jar
mkdir -p "$work/bin" "$work/data" "$work/classes"
gcc -static -O2 -w -o "$work/bin/probe-glibc" sandbox-engine/src/test/resources/kvm/probe.c
gcc -O2 -w -o "$work/bin/probe-dyn" sandbox-engine/src/test/resources/kvm/probe.c   # dynamic: ld.so + libc.so
gcc -O2 -w -o "$work/bin/pingpong" ops/bench/kvm-bench/pingpong.c
gcc -O2 -w -o "$work/bin/clocks-dyn" sandbox-engine/src/test/resources/kvm/clocks.c   # clock_gettime through the vDSO
gcc -static -O2 -w -o "$work/bin/clocks-static" sandbox-engine/src/test/resources/kvm/clocks.c
# musl's read() is not patched: its small reads show the cost of the syscall instruction alone
if command -v musl-gcc >/dev/null; then musl-gcc -static -O2 -w -o "$work/bin/probe-musl" sandbox-engine/src/test/resources/kvm/probe.c; fi
head -c 100000000 /dev/urandom > "$work/data/big.bin"
javac -cp "$jar" -d "$work/classes" ops/bench/kvm-bench/KvmBench.java ops/bench/kvm-bench/ForkCost.java
# the C spike lives in the shared directory: next to the repository, or next to a worktree's parent
shared=${SHARED_DIR:-}
for d in ../shared ../../shared; do [[ -z $shared && -d $d/bench/kvm-spike ]] && shared=$(cd "$d" && pwd); done
cp -r "$shared/bench/kvm-spike" "$work/spike" 2>/dev/null && make -s -C "$work/spike" spike >/dev/null 2>&1 || true
{
  echo "# kvm bench $(date -u +%FT%TZ) on $(uname -r), $(nproc) cpus; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  java -cp "$jar:$work/classes" KvmBench "$work/bin" "$work/data"
  echo "# fork: a VM per process (copy) against write-protecting the parent (copy-on-write's first step)"
  for n in 256 1024 4096; do java -cp "$jar:$work/classes" dev.palisade.sandbox.platform.kvm.ForkCost "$n"; done
  if [[ -x "$work/spike/spike" ]]; then
    echo "# C spike, same run (spike bench N=4000 reps=3):"
    for k in 26 20; do "$work/spike/spike" bench 4000 3 "$k"; done
  else
    echo "# C spike not found (set SHARED_DIR to the directory holding bench/kvm-spike): no exit cost in this run"
  fi
  echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out"
