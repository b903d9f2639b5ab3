#!/bin/sh
# Runs the whole test suite N times, K runs at a time, and reports how many
# passed and which tests failed in which run: a flaky test shows up as a test
# that fails in some runs only.
#
#   test/support/repeat-suite.sh [-n RUNS] [-k PARALLEL] [-- VITEST ARGS...]
#   test/support/repeat-suite.sh -n 5 -k 2                 # the whole suite, 5 times, 2 at once
#   test/support/repeat-suite.sh -n 8 -k 2 -- test/apps    # one directory
#
# dist/ is built once, before any run starts; the runs are started with
# GIT_ACL_TEST_PREBUILT=1 so that none of them rebuilds it while the others run
# the installed hook from it. Each run's full output is kept in the log
# directory printed at the end. Exit status: 0 when every run passed.
set -eu

runs=5
parallel=2
while [ $# -gt 0 ]; do
  case "$1" in
    -n) runs="$2"; shift 2 ;;
    -k) parallel="$2"; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "repeat-suite: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
logs=$(mktemp -d "${TMPDIR:-/tmp}/repeat-suite-XXXXXX")

echo "building dist/ once"
npm run build >"$logs/build.log" 2>&1 || { cat "$logs/build.log"; exit 1; }

# One run: vitest's exit code and duration in run-<i>.status, its output in run-<i>.log.
run_one() {
  i="$1"; shift
  start=$(date +%s)
  set +e
  GIT_ACL_TEST_PREBUILT=1 NO_COLOR=1 FORCE_COLOR=0 npx vitest run "$@" >"$logs/run-$i.log" 2>&1
  code=$?
  set -e
  echo "$code $(( $(date +%s) - start ))" >"$logs/run-$i.status"
  echo "run $i: exit $code, $(( $(date +%s) - start )) s, $(tail -n 1 "$logs/run-$i.log")"
}

echo "running the suite $runs times, $parallel at a time; logs in $logs"
i=1
while [ "$i" -le "$runs" ]; do
  batch_end=$(( i + parallel - 1 ))
  [ "$batch_end" -gt "$runs" ] && batch_end=$runs
  pids=""
  j=$i
  while [ "$j" -le "$batch_end" ]; do
    run_one "$j" "$@" &
    pids="$pids $!"
    j=$(( j + 1 ))
  done
  for p in $pids; do wait "$p" || true; done
  i=$(( batch_end + 1 ))
done

passed=0
failed=0
i=1
while [ "$i" -le "$runs" ]; do
  code=$(cut -d' ' -f1 "$logs/run-$i.status")
  if [ "$code" = 0 ]; then passed=$(( passed + 1 )); else failed=$(( failed + 1 )); fi
  i=$(( i + 1 ))
done

echo
echo "$passed of $runs runs passed, $failed failed ($parallel at a time)"
if [ "$failed" -gt 0 ]; then
  echo "failed tests (run: test):"
  i=1
  while [ "$i" -le "$runs" ]; do
    grep -E '^ *FAIL ' "$logs/run-$i.log" | sed "s/^ *FAIL */  run $i: /" | sort -u || true
    i=$(( i + 1 ))
  done
fi
echo "logs: $logs"
[ "$failed" -eq 0 ]
