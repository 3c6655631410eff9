#!/usr/bin/env bash
# Gradescope runs this once, as root, when the autograder image is built.
# It installs the grader's pinned dependencies into a virtual environment outside
# /autograder/source (so the sandbox user can reach the interpreter once source is locked),
# and creates the unprivileged user that runs student code. Nothing touches the system Python.
#
# TUTORIAL9_VENV overrides the environment's folder; TUTORIAL9_SETUP_DRY_RUN=1 prints the
# commands instead of running them.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
venv="${TUTORIAL9_VENV:-@@VENV@@}"
user="@@USER@@"

run() {
    if [ -n "${TUTORIAL9_SETUP_DRY_RUN:-}" ]; then
        echo "+ $*"
    else
        "$@"
    fi
}

# Ubuntu ships venv support as a separate package; install it only when it is missing.
if ! run python3 -m venv "$venv"; then
    run rm -rf "$venv"
    run apt-get update
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-venv
    run python3 -m venv "$venv"
fi
run "$venv/bin/python" -m pip install --no-cache-dir --disable-pip-version-check \
    -r "$here/requirements.txt"
run chmod -R a+rX "$venv"
# Student code never runs as root: the sandbox user must reach the interpreter, so every
# folder above the environment must let others pass (a root umask of 077 would not).
parent="$(dirname "$venv")"
while [ "$parent" != "/" ]; do
    run chmod o+x "$parent"
    parent="$(dirname "$parent")"
done

if ! id -u "$user" >/dev/null 2>&1; then
    run useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
fi

# Fail the build now, not at the first submission, if an import is broken, or if the sandbox
# user cannot load the interpreter (the grader would then refuse to run student code).
run "$venv/bin/python" -c "import numpy, pytest, yaml, nbformat"
run runuser -u "$user" -- "$venv/bin/python" -I -c "import numpy"
echo "tutorial9 autograder: set up $venv and user $user"
