#!/usr/bin/env bash
# VNN-COMP run_instance.sh for exactrelu.
#   run_instance.sh v1 CATEGORY ONNX VNNLIB RESULT_FILE TIMEOUT
# Runs `exactrelu verify ONNX VNNLIB --vnncomp-result ...` with a time budget a little
# under TIMEOUT seconds, and kills it shortly after TIMEOUT (the result is then
# `timeout`). RESULT_FILE gets one of sat (followed by the counterexample), unsat,
# timeout, unknown, error; sat and unsat leave the exactrelu certificate beside it, as
# RESULT_FILE.cert.json. Both are written under temporary names and renamed: RESULT_FILE
# never holds a partial result. Exit 1 for a wrong version string or argument count,
# else 0 (the result file says how the run went).
#
# Environment (all optional):
#   EXACTRELU                   the exactrelu command (see lib.sh)
#   EXACTRELU_VNNCOMP_WORKERS   worker processes for the walk (default 1)
#   EXACTRELU_VNNCOMP_GRACE     seconds after TIMEOUT before the hard kill (default 2)
#   EXACTRELU_VNNCOMP_ARGS      further arguments for `exactrelu verify`, split on blanks
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "$#" -ne 6 ] || [ "${1:-}" != "$VNNCOMP_VERSION" ]; then
  echo "usage: $0 $VNNCOMP_VERSION CATEGORY ONNX VNNLIB RESULT_FILE TIMEOUT (got $# arguments, version '${1:-}')" >&2
  exit 1
fi
CATEGORY=$2
ONNX=$(instance_file "$3")
VNNLIB=$(instance_file "$4")
RESULT=$5
TIMEOUT=$6
CERT="$RESULT.cert.json"
RUN_RESULT="$(dirname "$RESULT")/.$(basename "$RESULT").run$$"   # the CLI's result file, renamed at the end
WORD_TMP="$(dirname "$RESULT")/.$(basename "$RESULT").word$$"
child=""

cleanup() {
  rm -f "$RUN_RESULT" "$RUN_RESULT.cert.json" "$WORD_TMP"
}
write_word() {  # a bare result word, written atomically
  rm -f "$CERT"
  printf '%s\n' "$1" > "$WORD_TMP" && mv -f "$WORD_TMP" "$RESULT"
}
on_signal() {  # the harness stops us: stop exactrelu, and say timeout
  if [ -n "$child" ]; then
    kill -TERM "$child" 2> /dev/null
    wait "$child" 2> /dev/null
  fi
  write_word timeout
  cleanup
  exit 0
}
trap cleanup EXIT
trap on_signal TERM INT

rm -f "$RESULT" "$CERT"  # no stale result (or certificate) from an earlier run
echo "exactrelu: category '$CATEGORY', network $ONNX, property $VNNLIB, result $RESULT, timeout $TIMEOUT s"

if ! [[ "$TIMEOUT" =~ ^[0-9]+([.][0-9]*)?$ ]] || ! awk -v t="$TIMEOUT" 'BEGIN { exit !(t > 0) }'; then
  echo "exactrelu: the timeout must be a positive number of seconds, got '$TIMEOUT'" >&2
  write_word error
  exit 0
fi
if ! find_exactrelu; then
  write_word error
  exit 0
fi
GRACE=${EXACTRELU_VNNCOMP_GRACE:-2}
# the verify budget: TIMEOUT less 5 % (at least 1 s, at most 10 s, never below half of
# TIMEOUT) for start-up, loading and writing the certificate
BUDGET=$(awk -v t="$TIMEOUT" 'BEGIN { m = t * 0.05; if (m < 1) m = 1; if (m > 10) m = 10;
                                      b = t - m; if (b < t / 2) b = t / 2; printf "%.3f", b }')
HARD=$(awk -v t="$TIMEOUT" -v g="$GRACE" 'BEGIN { printf "%.3f", t + g }')
args=(verify "$ONNX" "$VNNLIB" --time-limit "$BUDGET" --vnncomp-result "$RUN_RESULT" --no-progress)
WORKERS=${EXACTRELU_VNNCOMP_WORKERS:-1}
if [ "$WORKERS" != "1" ]; then
  args+=(--workers "$WORKERS")
fi
read -r -a extra <<< "${EXACTRELU_VNNCOMP_ARGS:-}"

timeout --kill-after=3 "$HARD" "${EXACTRELU_CMD[@]}" "${args[@]}" "${extra[@]}" &
child=$!
wait "$child"
rc=$?
child=""

if [ -s "$RUN_RESULT" ]; then
  if [ -e "$RUN_RESULT.cert.json" ]; then
    mv -f "$RUN_RESULT.cert.json" "$CERT"   # the certificate first: a result file saying unsat has it beside
  fi
  mv -f "$RUN_RESULT" "$RESULT"
elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
  echo "exactrelu: stopped at the hard limit of $HARD s" >&2
  write_word timeout
else
  echo "exactrelu: no result written (exit $rc)" >&2
  write_word error
fi
echo "exactrelu: result $(head -n 1 "$RESULT") (exit $rc)"
exit 0
