#!/bin/sh
# Builds the KVM platform's vDSO (vdso.c, vdso.lds) into the engine's resources. The committed
# vdso.so is what the platform loads (no compiler at run time); VdsoImageTest rebuilds it with
# this script and checks the bytes are the same.
# usage: build.sh [OUT]   (default: ../resources/dev/palisade/sandbox/platform/kvm/vdso.so)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../resources/dev/palisade/sandbox/platform/kvm/vdso.so}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$(dirname "$out")"
${CC:-gcc} -O2 -fPIC -nostdlib -shared -ffreestanding -fno-stack-protector -fcf-protection=none \
    -fasynchronous-unwind-tables -fno-ident -ffile-prefix-map="$here"=. \
    -Wall -Werror \
    -Wl,-T,"$here/vdso.lds" -Wl,--hash-style=both -Wl,--build-id=none -Wl,-soname=linux-vdso.so.1 \
    -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack -Wl,--no-undefined -Wl,-Bsymbolic \
    -o "$tmp/vdso.so" "$here/vdso.c"
${OBJCOPY:-objcopy} --strip-all --remove-section=.comment "$tmp/vdso.so" "$tmp/stripped.so"
cp "$tmp/stripped.so" "$out"
