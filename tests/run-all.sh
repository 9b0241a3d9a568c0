#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs virtbus's tests; the last line is always "N passed, N failed, N skipped".
#
#   tests/run-all.sh [unit|integration|all]        (default: all)
#
# unit:        every build/tests/test-* binary; each ends with a line
#              "unit <file>: N passed, N failed, N skipped".
# integration: /usr/bin/python3 -m pytest -q tests/integration (Debian's python3,
#              which has python3-dbus); "no tests collected" is not a failure.
# Exit status 1 when anything failed (or crashed, or timed out).
#
# Environment:
#   VIRTBUS_BUILD      build directory (default: build)
#   UNIT_TIMEOUT       seconds for one unit test binary (default 300)
#   PYTEST_TIMEOUT     seconds for the whole pytest session (default 3000); each
#                      test has its own limit too (conftest.py, default 300 s)
#   PYTEST_ARGS        more pytest arguments, e.g. "-k guest -x"
# Full outputs are kept in $VIRTBUS_BUILD/test-logs/.
set -u
cd "$(dirname "$0")/.." || exit 2

WHAT=${1:-all}
case "$WHAT" in
	unit|integration|all) ;;
	*) echo "usage: $0 [unit|integration|all]" >&2; exit 2 ;;
esac
BUILD=${VIRTBUS_BUILD:-build}
PYTHON=${VIRTBUS_PYTHON:-/usr/bin/python3}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-300}
PYTEST_TIMEOUT=${PYTEST_TIMEOUT:-3000}
LOGDIR="$BUILD/test-logs"
mkdir -p "$LOGDIR"

P=0 F=0 S=0
add() { P=$((P + $1)); F=$((F + $2)); S=$((S + $3)); }
num() {	# num NOUN TEXT: the count before NOUN in a summary line, or 0
	n=$(printf '%s\n' "$2" | grep -oE "[0-9]+ $1" | head -n1 | cut -d' ' -f1)
	echo "${n:-0}"
}

run_unit() {
	found=0
	for t in "$BUILD"/tests/test-*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		case "$t" in *.d|*.o|*.log) continue ;; esac
		found=1
		name=$(basename "$t")
		log="$LOGDIR/$name.log"
		{ timeout -k 10 "$UNIT_TIMEOUT" "$t" 2>&1; echo $? > "$log.rc"; } |
			tee "$log" | grep -v '^ok '
		rc=$(cat "$log.rc"); rm -f "$log.rc"
		line=$(grep -E '^unit .*: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$log" | tail -n1)
		if [ -z "$line" ]; then
			why="exit status $rc"
			[ "$rc" = 124 ] && why="timed out after ${UNIT_TIMEOUT}s"
			echo "unit $name: no result line ($why): counted as 1 failed"
			add 0 1 0
			continue
		fi
		p=$(num passed "$line"); f=$(num failed "$line"); s=$(num skipped "$line")
		add "$p" "$f" "$s"
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
			echo "unit $name: exit status $rc with no failure counted: counted as 1 failed"
			add 0 1 0
		fi
	done
	[ $found = 1 ] || echo "run-all: no unit test binaries in $BUILD/tests (run make first)"
}

run_integration() {
	run_pytest pytest tests/integration
	run_broker
}

# The daemons on dbus-broker as well: the files that exercise the bus itself
# (activation, policy, many small calls, signals, the proxy's org.libvirt).
BROKER_TESTS="test_harness.py test_proxy_dbus.py test_lockd.py test_qemud_lifecycle.py test_storaged.py"
run_broker() {
	if [ ! -x /usr/bin/dbus-broker-launch ]; then
		echo "run-all: dbus-broker is not installed: the tests on dbus-broker are skipped"
		add 0 0 1
		return
	fi
	echo "run-all: again on dbus-broker: $BROKER_TESTS"
	files=""
	for f in $BROKER_TESTS; do files="$files tests/integration/$f"; done
	VIRTBUS_TEST_BUS=broker
	export VIRTBUS_TEST_BUS
	# shellcheck disable=SC2086 # the list is split on purpose
	run_pytest pytest-broker $files
	unset VIRTBUS_TEST_BUS
}

run_pytest() {	# run_pytest LOGNAME PYTEST-ARGS...
	log="$LOGDIR/$1.log"
	shift
	if ! "$PYTHON" -c 'import pytest, dbus' 2>/dev/null; then
		echo "run-all: $PYTHON lacks pytest or dbus (sh scripts/install-deps.sh check)"
		add 0 1 0
		return
	fi
	# shellcheck disable=SC2086 # PYTEST_ARGS is split on purpose
	{ timeout -k 30 "$PYTEST_TIMEOUT" "$PYTHON" -m pytest -q -p no:cacheprovider -rfEs \
		${PYTEST_ARGS:-} "$@" 2>&1; echo $? > "$log.rc"; } | tee "$log"
	rc=$(cat "$log.rc"); rm -f "$log.rc"
	summary=$(grep -E '([0-9]+ (passed|failed|skipped|errors?|xfailed|xpassed|deselected)|no tests ran).* in [0-9.]+s' \
		"$log" | tail -n1)
	p=$(( $(num passed "$summary") + $(num xpassed "$summary") ))
	f=$(( $(num failed "$summary") + $(num 'errors?' "$summary") ))
	s=$(( $(num skipped "$summary") + $(num xfailed "$summary") ))
	add "$p" "$f" "$s"
	case "$rc" in
		0|5) ;;			# 5: no tests collected
		1) [ "$f" != 0 ] || { echo "run-all: pytest said tests failed"; add 0 1 0; } ;;
		124|137) echo "run-all: pytest killed after ${PYTEST_TIMEOUT}s: counted as 1 failed"
			add 0 1 0 ;;
		*) echo "run-all: pytest exit status $rc: counted as 1 failed"; add 0 1 0 ;;
	esac
}

case "$WHAT" in
	unit) run_unit ;;
	integration) run_integration ;;
	all) run_unit; run_integration ;;
esac

echo "$P passed, $F failed, $S skipped"
[ "$F" = 0 ]
