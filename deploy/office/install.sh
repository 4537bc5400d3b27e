#!/bin/bash
# Install or upgrade the central office on its server (Debian 12), or stage the same files into a
# directory. The release goes into its own virtual environment beside the others with the office's
# stack only (no Kivy), /opt/kiosk/current points at it, and kiosk-office.service is enabled; on a
# running server the service restarts, and its start migrates the database before it serves.
# Never overwrites the settings. See deploy/README.md, "The central office server".
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

usage() {
    cat <<EOF
usage: ${0##*/} [--root DIR] [--wheel FILE] [--find-links DIR] [--python PYTHON] [--no-apt]

  --root DIR        stage into DIR instead of this machine: no chown, no services
  --wheel FILE      the kiosk package to install (default: this checkout)
  --find-links DIR  install the package's dependencies from DIR only (offline)
  --python PYTHON   the Python 3.11+ for the virtual environment (default: /usr/bin/python3)
  --no-apt          do not install the Debian packages the office needs

Back up a PostgreSQL database (pg_dump) before an upgrade: the new release migrates it when the
service restarts, and switching back to the old release does not undo that.
EOF
}

DEBIAN_PACKAGES="python3 python3-venv"
UNIT=kiosk-office.service

ROOT=/
WHEEL=
FIND_LINKS=
PYTHON=/usr/bin/python3
APT=yes
while [ $# -gt 0 ]; do
    case $1 in
        --root) ROOT=$(realpath -m "${2:?--root needs a directory}"); shift 2 ;;
        --wheel) WHEEL=$(realpath "${2:?--wheel needs a file}"); shift 2 ;;
        --find-links) FIND_LINKS=$(realpath "${2:?--find-links needs a directory}"); shift 2 ;;
        --python) PYTHON=${2:?--python needs a path}; shift 2 ;;
        --no-apt) APT=no; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
require_root_when_live
refuse_other_side office

if is_live && [ "$APT" = yes ]; then
    apt-get update -q
    # shellcheck disable=SC2086  # the list is meant to split into words
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $DEBIAN_PACKAGES
fi
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "$PYTHON is not Python 3.11 or newer"

mkdir -p "$(at "$OPT")" "$(at "$RELEASES")" "$(at "$ETC")" "$(at /etc/systemd/system)" "$(at /usr/local/bin)"
own 0755 root:root "$OPT"
own 0755 root:root "$RELEASES"
# The service runs as a user made at each start (DynamicUser=): nothing here is its; systemd reads
# the settings as root and hands the service a copy (LoadCredential=).
own 0755 root:root "$ETC"

VERSION=$(release_of "$WHEEL" "$PYTHON")
install_release "$VERSION" "$WHEEL" "$PYTHON" "$FIND_LINKS" office
own 0755 root:root "$RELEASES/$VERSION"
PREVIOUS=$(current_release)
switch_current "$VERSION"

# Settings: written once, then the administrator's. Both hold secrets (the database's password,
# the billing and metrics tokens): root's only.
put_once 0600 root:root "$DEPLOY_DIR/office/office.example.env" "$ETC/office.env"
put_once 0600 root:root "$DEPLOY_DIR/office/office.example.toml" "$ETC/office.toml"

# Files that belong to the release: replaced at every run.
put 0644 root:root "$DEPLOY_DIR/office/$UNIT" "/etc/systemd/system/$UNIT"
put 0755 root:root "$DEPLOY_DIR/bin/kiosk" /usr/local/bin/kiosk
put 0644 root:root "$DEPLOY_DIR/README.md" "$OPT/README.md"

write_ownership
apply_ownership

if is_live; then
    systemctl daemon-reload
    systemctl enable "$UNIT"
    if systemctl --quiet is-active "$UNIT"; then
        say "restarting $UNIT on release $VERSION (was ${PREVIOUS:-none}): it migrates, then serves"
        systemctl restart "$UNIT"
    else
        say "installed release $VERSION. Next: edit $ETC/office.env (deploy/README.md), then" \
            "systemctl start $UNIT"
    fi
else
    systemctl --root="$ROOT" --quiet enable "$UNIT"
    say "staged release $VERSION into $ROOT; owners to apply as root are in $(at "$OPT/ownership")"
fi
