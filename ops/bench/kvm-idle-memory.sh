#!/usr/bin/env bash
# Memory per idle sandbox (by hand, not CI): N sandboxes each running `sleep`, started in one
# engine; prints the host memory they take per sandbox (the engine JVM's resident set, where a KVM
# sandbox's guest memory, page tables and Sentry live, plus the ptrace sandboxes' own processes).
# Goal (issue 19): at most 8 MB per idle KVM sandbox, and 200 of them running at once.
# Usage: ops/bench/kvm-idle-memory.sh [N]       (default 200; ptrace is run with N/10 for comparison)
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-200}
work=$(mktemp -d /tmp/palisade-idle-memory.XXXXXX)
trap 'rm -rf "$work"' EXIT
./mvnw -B -q -pl sandbox-engine package -DskipTests
jar=sandbox-engine/target/palisade-sandbox.jar
javac -cp "$jar" -d "$work" ops/bench/kvm-bench/IdleMemory.java
echo "# idle memory $(date -u +%FT%TZ) on $(uname -r), $(nproc) cpus, $(free -g | awk '/Mem:/ {print $2}') GiB"
java -cp "$jar:$work" IdleMemory kvm "$n" /bin/sleep 120
java -cp "$jar:$work" IdleMemory ptrace "$(( n / 10 > 0 ? n / 10 : 1 ))" /bin/sleep 60
