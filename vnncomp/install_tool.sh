#!/usr/bin/env bash
# VNN-COMP install_tool.sh for exactrelu.
#   install_tool.sh v1
# Installs the system libraries and exactrelu into the repository's .venv (.ci/setup),
# where run_instance.sh finds it.
set -eu
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "$#" -ne 1 ] || [ "${1:-}" != "$VNNCOMP_VERSION" ]; then
  echo "usage: $0 $VNNCOMP_VERSION (got $# arguments, version '${1:-}')" >&2
  exit 1
fi
bash "$REPO_DIR/.ci/setup"
"$REPO_DIR/.venv/bin/exactrelu" --help > /dev/null
