#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# logd figures, each beside its target:
#  - one writer into its log pipe, sustained, with rotation on (2 MiB, 3 kept);
#  - 100 concurrent writers, one log each;
#  - after each run, the files of every log put together are compared with the
#    tail of what was written (byte for byte, FNV-1a checksums printed), and
#    a run with every rotated file kept checks a whole 1 GiB stream.
# Throughput counts from the first write to the moment logd has drained and
# closed every pipe. Usage: bench/logd-bench.sh [SINGLE_GIB]

set -eu
. "$(dirname "$0")/lib.sh"

GIB=${1:-4}
bench_cc logd-bench -pthread
start_bus
start_daemon logd
B="$BUILD/bench/logd-bench"

echo "== virtbus-logd benchmark ($(nproc) CPUs; logs on $(df --output=fstype "$WORK" | tail -1))"
out=$("$B" 1 $((GIB * 1024 * 1024 * 1024)) "$WORK")
rate=$(echo "$out" | sed -n 's/.*MiB_per_second=\([0-9]*\).*/\1/p')
echo "one writer, rotation on: $rate MiB/s (target >= 500) $(verdict "$rate" ge 500)"
echo "$out" | sed 's/^/    /'
out=$("$B" 100 $((8 * 1024 * 1024)) "$WORK")
rate=$(echo "$out" | sed -n 's/.*MiB_per_second=\([0-9]*\).*/\1/p')
ver=$(echo "$out" | sed -n 's/^verified=\([0-9]*\/[0-9]*\).*/\1/p')
echo "100 concurrent writers (8 MiB each, all kept): $rate MiB/s total, $ver logs byte-identical $(verdict "${ver%/*}" ge 100)"
echo "$out" | sed 's/^/    /'

# The whole stream: keep every rotated file.
kill "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true
rm -rf "$WORK/root/var/log"
mkdir -p "$WORK/root/etc/virtbus"
echo "max_backups = 600" >"$WORK/root/etc/virtbus/logd.conf"
start_daemon logd
out=$("$B" 1 $((1024 * 1024 * 1024)) "$WORK")
ok=$(echo "$out" | grep -c identical || true)
echo "one writer, 1 GiB, all 512 rotated files kept: $(echo "$out" | sed -n 's/.*MiB_per_second=\([0-9]*\).*/\1/p') MiB/s, whole stream byte-identical: $([ "$ok" = 1 ] && echo yes || echo NO)"
echo "$out" | sed 's/^/    /'
