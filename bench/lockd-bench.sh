#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# lockd figures, each beside its target:
#  - acquire+release pairs per second from one C client (sd-bus, 64 calls
#    in flight on one connection), on dbus-daemon and on dbus-broker in the
#    same run (the broker skipped when it is not installed), each way:
#    one lease a call, over the bus and on lockd's private socket (peer to
#    peer), releases answered or not; and batched as qemud asks, a guest's
#    8 leases in one AcquireMany and one ReleaseOwner (pairs counted as
#    leases acquired and released);
#  - RSS of lockd holding 10,000 leases (100 owners);
#  - re-exec time with those 10,000 leases (ReExec call until the name has its
#    new owner), while a checker process keeps trying F_OFD_SETLK on every
#    lease file and counts the locks it wins (must stay 0).
# Usage: bench/lockd-bench.sh [PAIRS]

set -eu
. "$(dirname "$0")/lib.sh"

PAIRS=${1:-200000}
LEASES=10000
bench_cc lockd-bench
B="$BUILD/bench/lockd-bench"
LOCKSPACE="$WORK/root/var/lib/virtbus/lockd/lockspace"
PEER="$WORK/root/run/virtbus/private/lockd"

echo "== virtbus-lockd benchmark ($(nproc) CPUs)"
# pairs LABEL [ENV=VALUE...]: one run of PAIRS pairs, 64 in flight.
# On a busy machine the rate says more about the other work than about lockd:
# lockd's own CPU time per pair (it serves on one thread) gives the rate one
# free CPU would reach, whatever the load.
pairs() {
	label=$1; shift
	c0=$(cpu_ms "$DAEMON_PID")
	out=$(env "$@" "$B" pairs "$PAIRS" 64 2>&1) || echo "run failed: $out"
	c1=$(cpu_ms "$DAEMON_PID")
	rate=$(echo "$out" | sed -n 's/.*pairs_per_second=\([0-9]*\).*/\1/p')
	per=$(awk -v a="$c0" -v b="$c1" -v n="$PAIRS" 'BEGIN { printf "%.1f", (b - a) * 1000 / n }')
	cap=$(awk -v us="$per" 'BEGIN { printf "%d", (us > 0) ? 1e6 / us : 0 }')
	echo "acquire+release pairs/s $BUSNAME, $label: ${rate:-none} (target >= 20000) $(verdict "${rate:-0}" ge 20000)   [$out; lockd CPU ${per} us a pair: $cap pairs/s on one free CPU; load $(cut -d' ' -f1 /proc/loadavg)]"
}

# Every pair figure on one bus, with a fresh bus and lockd.
pair_runs() {
	BUSNAME=$1
	start_bus
	start_daemon lockd
	"$B" pairs 2000 64 >/dev/null     # warm up: lease files created, caches hot
	pairs "one a call, over the bus"
	# The same client straight on lockd's private socket: no broker in between.
	pairs "one a call, peer to peer" LOCKD_BENCH_PEER="$PEER"
	# As qemud releases: asking no answer (three messages a pair, not four).
	pairs "one a call, over the bus, release unanswered" LOCKD_BENCH_NOREPLY=1
	pairs "one a call, peer to peer, release unanswered" LOCKD_BENCH_NOREPLY=1 LOCKD_BENCH_PEER="$PEER"
	# As qemud starts and stops a guest with 8 disks: AcquireMany, ReleaseOwner.
	pairs "8 a call, over the bus" LOCKD_BENCH_BATCH=8
	pairs "8 a call, over the bus, release unanswered" LOCKD_BENCH_BATCH=8 LOCKD_BENCH_NOREPLY=1
	pairs "8 a call, peer to peer, release unanswered (as qemud)" LOCKD_BENCH_BATCH=8 LOCKD_BENCH_NOREPLY=1 \
		LOCKD_BENCH_PEER="$PEER"
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do while kill -0 "$p" 2>/dev/null; do sleep 0.05; done; done
	PIDS=""
	rm -rf "$WORK/root" "$WORK/bus"
}

VIRTBUS_BUS= pair_runs dbus-daemon
if [ -x /usr/bin/dbus-broker-launch ]; then
	VIRTBUS_BUS=broker pair_runs dbus-broker
else
	echo "dbus-broker: not installed, its figures skipped (sh scripts/install-deps.sh bench)"
fi

# The rest on dbus-daemon.
VIRTBUS_BUS=
start_bus
start_daemon lockd
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
