#!/bin/bash
# Remove the kiosk software from a terminal or an office server (or a staged tree) and keep what
# is the owner's: the database and its backups in /var/lib/kiosk, the configuration in /etc/kiosk,
# and the kiosk user that owns them. Installing again picks them up as they are.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=/
while [ $# -gt 0 ]; do
    case $1 in
        --root) ROOT=$(realpath -m "${2:?--root needs a directory}"); shift 2 ;;
        -h|--help) echo "usage: ${0##*/} [--root DIR]"; exit 0 ;;
        *) echo "usage: ${0##*/} [--root DIR]" >&2; exit 2 ;;
    esac
done
require_root_when_live

if is_live; then
    # A half-installed terminal may lack some of the units: remove what is there.
    # shellcheck disable=SC2086  # a list of unit names
    systemctl disable --now $UNITS || true
else
    # A terminal's units, or the office's (deploy/office/install.sh): disable those installed.
    for unit in $ENABLED_UNITS kiosk-office.service; do
        if [ -e "$(at "/etc/systemd/system/$unit")" ]; then
            systemctl --root="$ROOT" --quiet disable "$unit"
        fi
    done
fi
for unit in $UNITS; do
    rm -f "$(at "/etc/systemd/system/$unit")"
done
rm -f "$(at /etc/pam.d/kiosk)" "$(at /etc/systemd/journald.conf.d/kiosk.conf)" \
    "$(at /etc/tmpfiles.d/kiosk.conf)" "$(at /etc/udev/rules.d/70-kiosk-devices.rules)" \
    "$(at /usr/local/bin/kiosk)"
rm -rf "$(at "$OPT")"

if is_live; then
    systemctl daemon-reload
    systemctl enable getty@tty1.service
    udevadm control --reload
    systemctl restart systemd-journald
fi
say "removed the kiosk software; kept $(at "$DATA") (database, backups), $(at "$ETC") and the $KIOSK_USER user"
