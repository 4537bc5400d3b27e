#!/bin/sh
# Prepare a checkout for `make test` and `make demo`: the Debian packages the tests need
# (installed when run as root, named otherwise), then .venv with the project, both of its sides
# (the terminal and the office) and the dev extras.
set -eu

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
# xvfb, xauth: the touch screen under a virtual display; libmtdev1: Kivy's input stack;
# systemd, shellcheck, cage: tests/deploy verifies the units (ExecStart= must exist) and the scripts.
# fuse3: the power-cut test mounts its own file system that forgets whatever was never fsynced.
# chromium, chromium-driver: tests/browser drives the office's pages in a real browser.
# zbar-tools: zbarimg reads the printed slip's QR codes (its own and the payment code) back from the
# printer emulator's picture.
DEBIAN_PACKAGES="xvfb xauth libmtdev1 systemd shellcheck cage fuse3 chromium chromium-driver zbar-tools"

missing=""
if command -v dpkg-query >/dev/null 2>&1; then
    for package in $DEBIAN_PACKAGES; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
            || missing="$missing $package"
    done
fi
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "bootstrap: installing Debian packages:$missing"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        # shellcheck disable=SC2086  # the list is meant to split into words
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
    else
        echo "bootstrap: these Debian packages are missing:$missing" >&2
        echo "bootstrap: install them with: sudo apt-get install$missing" >&2
        echo "bootstrap: (continuing; tests that need them will say so)" >&2
    fi
fi

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "bootstrap: Python 3.11 or newer is required; '$PYTHON' is $("$PYTHON" --version 2>&1)." >&2
    echo "bootstrap: install it (Debian 12: sudo apt-get install python3 python3-venv) or run make PYTHON=python3.11" >&2
    exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
    if ! "$PYTHON" -m venv "$VENV"; then
        echo "bootstrap: cannot create a virtual environment; on Debian: sudo apt-get install python3-venv" >&2
        exit 1
    fi
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev,terminal,office]'
