# Sourced by the VNN-COMP scripts of this folder (not run on its own).
# Sets VNNCOMP_VERSION and REPO_DIR; defines find_exactrelu and instance_file.

VNNCOMP_VERSION=v1
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# find_exactrelu: set the array EXACTRELU_CMD to the exactrelu command line, found as
#   1. $EXACTRELU (a command, split on blanks: "python -m exactrelu.cli" works),
#   2. the repository's own virtual environment, .venv/bin/exactrelu (made by .ci/setup),
#   3. exactrelu on PATH.
# Returns 1 (and prints why) when there is none.
find_exactrelu() {
  if [ -n "${EXACTRELU:-}" ]; then
    read -r -a EXACTRELU_CMD <<< "$EXACTRELU"
  elif [ -x "$REPO_DIR/.venv/bin/exactrelu" ]; then
    EXACTRELU_CMD=("$REPO_DIR/.venv/bin/exactrelu")
  elif command -v exactrelu > /dev/null 2>&1; then
    EXACTRELU_CMD=("$(command -v exactrelu)")
  else
    echo "exactrelu not found: run vnncomp/install_tool.sh v1, put exactrelu on PATH, or set EXACTRELU" >&2
    return 1
  fi
}

# instance_file PATH: PATH, or PATH.gz when only that exists (the competition's benchmark
# repositories keep their .onnx and .vnnlib files gzipped; exactrelu reads .gz directly).
instance_file() {
  if [ ! -e "$1" ] && [ -e "$1.gz" ]; then
    printf '%s\n' "$1.gz"
  else
    printf '%s\n' "$1"
  fi
}
