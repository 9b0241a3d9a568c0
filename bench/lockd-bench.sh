#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# lockd figures, each beside its target:
#  - acquire+release pairs per second over the bus from one C client (sd-bus,
#    64 calls in flight on one connection; each call still gets its reply);
#  - RSS of lockd holding 10,000 leases (100 owners);
#  - re-exec time with those 10,000 leases (ReExec call until the name has its
#    new owner), while a checker process keeps trying F_OFD_SETLK on every
#    lease file and counts the locks it wins (must stay 0).
# Usage: bench/lockd-bench.sh [PAIRS]

# ---- a private system bus and the daemon under a temporary --root, both
# stopped (by pid) on exit
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${VIRTBUS_BUILD:-$REPO/build}
WORK=$(mktemp -d /tmp/virtbus-bench.XXXXXX)
PIDS=""

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do while kill -0 "$p" 2>/dev/null; do sleep 0.05; done; done
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# bench_cc NAME [extra cc args]: builds bench/NAME.c into build/bench/NAME.
bench_cc() {
	name=$1; shift
	mkdir -p "$BUILD/bench"
	cc -O2 -Wall -o "$BUILD/bench/$name" "$REPO/bench/$name.c" "$@" $(pkg-config --cflags --libs libsystemd)
}

start_bus() {
	dbus-daemon --config-file="$REPO/scripts/dbus-test-bus.conf" --address="unix:path=$WORK/bus" \
		--nofork --nopidfile --print-address=1 >"$WORK/bus.addr" 2>"$WORK/bus.log" &
	PIDS="$PIDS $!"
	while [ ! -s "$WORK/bus.addr" ]; do sleep 0.02; done
	export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$WORK/bus"
}

# start_daemon NAME: build/virtbus-NAME --root $WORK/root; sets DAEMON_PID.
start_daemon() {
	"$BUILD/virtbus-$1" --root "$WORK/root" >"$WORK/$1.log" 2>&1 &
	DAEMON_PID=$!
	PIDS="$PIDS $DAEMON_PID"
	until busctl --system status "org.virtbus.$1" >/dev/null 2>&1; do
		kill -0 "$DAEMON_PID" || { cat "$WORK/$1.log"; exit 1; }
		sleep 0.02
	done
}

rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# verdict VALUE OP TARGET: "ok" or "MISSED" (OP is ge or le).
verdict() {
	awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { ok = (op == "ge") ? v >= t : v <= t; print ok ? "ok" : "MISSED" }'
}
# ----

PAIRS=${1:-200000}
LEASES=10000
bench_cc lockd-bench
start_bus
start_daemon lockd
B="$BUILD/bench/lockd-bench"
LOCKSPACE="$WORK/root/var/lib/virtbus/lockd/lockspace"

echo "== virtbus-lockd benchmark ($(nproc) CPUs)"
"$B" pairs 2000 64 >/dev/null     # warm up: lease files created, caches hot
out=$("$B" pairs "$PAIRS" 64)
rate=$(echo "$out" | sed -n 's/.*pairs_per_second=\([0-9]*\).*/\1/p')
echo "acquire+release pairs/s over the bus: $rate (target >= 20000) $(verdict "$rate" ge 20000)   [$out]"

rss0=$(rss_kib "$DAEMON_PID")
: >"$WORK/hold.out"
"$B" hold $LEASES >"$WORK/hold.out" &
HOLD=$!
PIDS="$HOLD $PIDS"
until grep -q held= "$WORK/hold.out"; do kill -0 $HOLD || { cat "$WORK/hold.out"; exit 1; }; sleep 0.05; done
rss=$(rss_kib "$DAEMON_PID")
mib=$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')
echo "lockd RSS with $LEASES leases: $mib MiB (target <= 8 MiB) $(verdict "$rss" le 8192)   [idle: $((rss0 / 1024)) MiB; $(cat "$WORK/hold.out")]"

: >"$WORK/checker.out"
"$B" checker "$LOCKSPACE" >"$WORK/checker.out" &
CHECKER=$!
PIDS="$CHECKER $PIDS"
until grep -q checking= "$WORK/checker.out"; do sleep 0.05; done
sleep 0.2
out=$("$B" reexec)
sleep 0.2
kill -TERM $CHECKER; wait $CHECKER || true
ms=$(echo "$out" | sed -n 's/.*reexec_ms=\([0-9.]*\).*/\1/p')
won=$(sed -n 's/.*checker_locks_won=\([0-9]*\).*/\1/p' "$WORK/checker.out")
rounds=$(sed -n 's/.*checker_rounds=\([0-9]*\).*/\1/p' "$WORK/checker.out")
echo "re-exec with $LEASES leases: $ms ms (target <= 200 ms) $(verdict "$ms" le 200)   [$out]"
echo "checker during re-exec: $won lease(s) taken over $rounds rounds of $(sed -n 's/checking=//p' "$WORK/checker.out") files (target 0) $(verdict "$won" le 0)"
rss=$(rss_kib "$DAEMON_PID")
echo "lockd RSS after re-exec: $(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }') MiB"
