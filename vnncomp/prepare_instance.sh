#!/usr/bin/env bash
# VNN-COMP prepare_instance.sh for exactrelu.
#   prepare_instance.sh v1 CATEGORY ONNX VNNLIB
# Checks the version string, that exactrelu can be run and that both files can be read
# (ONNX.gz / VNNLIB.gz are taken when only they exist). No analysis: exactrelu has no
# per-instance preparation, and no setting depends on the category. Exit 0 when the
# instance can be run, 1 otherwise (with the reason on stderr).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "$#" -ne 4 ] || [ "${1:-}" != "$VNNCOMP_VERSION" ]; then
  echo "usage: $0 $VNNCOMP_VERSION CATEGORY ONNX VNNLIB (got $# arguments, version '${1:-}')" >&2
  exit 1
fi
CATEGORY=$2
ONNX=$(instance_file "$3")
VNNLIB=$(instance_file "$4")
echo "exactrelu: preparing instance of category '$CATEGORY': $ONNX $VNNLIB"

find_exactrelu || exit 1
for f in "$ONNX" "$VNNLIB"; do
  if [ ! -f "$f" ] || [ ! -r "$f" ]; then
    echo "exactrelu: cannot read $f" >&2
    exit 1
  fi
done
exit 0
