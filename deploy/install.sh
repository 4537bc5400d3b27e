#!/bin/bash
# Turn a Debian 12 or Raspberry Pi OS (bookworm) machine into a meter-reading terminal, or stage
# the same files into a directory. Safe to run again: it never overwrites the configuration, the
# device rules or the data, and skips a release that is installed already. See deploy/README.md.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
    cat <<EOF
usage: ${0##*/} [--root DIR] [--wheel FILE] [--find-links DIR] [--python PYTHON] [--side SIDE]
                  [--printer VENDOR:PRODUCT[:SERIAL]] [--scanner VENDOR:PRODUCT[:SERIAL]] [--no-apt]

  --root DIR        stage into DIR instead of this machine: no user, no chown, no services
  --wheel FILE      the kiosk package to install (default: this checkout)
  --find-links DIR  install the package's dependencies from DIR only (offline)
  --python PYTHON   the Python 3.11+ for the virtual environment (default: /usr/bin/python3)
  --side SIDE       terminal (default: the touch screen, Kivy) or office (the central office's
                    web service: FastAPI, uvicorn, psycopg; the same as office/install.sh); each
                    installs its own stack only
  --printer, --scanner
                    USB ids for /dev/kiosk-printer and /dev/kiosk-scanner (udevadm info, see
                    deploy/README.md); the rules file is written only when it is missing or when
                    one of these is given
  --no-apt          do not install the Debian packages the terminal needs
EOF
}

# cage and xwayland: the compositor (Kivy's SDL draws through Xwayland); libpam-systemd and dbus:
# the logind session that hands cage the seat; libmtdev1 and the GL libraries: Kivy.
DEBIAN_PACKAGES="python3 python3-venv cage xwayland libpam-systemd dbus libmtdev1 libgl1 libegl1 libgles2"

ROOT=/
WHEEL=
FIND_LINKS=
PYTHON=/usr/bin/python3
SIDE=terminal
PRINTER=
SCANNER=
APT=yes
while [ $# -gt 0 ]; do
    case $1 in
        --root) ROOT=$(realpath -m "${2:?--root needs a directory}"); shift 2 ;;
        --wheel) WHEEL=$(realpath "${2:?--wheel needs a file}"); shift 2 ;;
        --find-links) FIND_LINKS=$(realpath "${2:?--find-links needs a directory}"); shift 2 ;;
        --python) PYTHON=${2:?--python needs a path}; shift 2 ;;
        --side)
            SIDE=${2:?--side needs terminal or office}; shift 2
            case $SIDE in terminal|office) ;; *) usage >&2; exit 2 ;; esac ;;
        --printer) PRINTER=${2:?--printer needs VENDOR:PRODUCT[:SERIAL]}; shift 2 ;;
        --scanner) SCANNER=${2:?--scanner needs VENDOR:PRODUCT[:SERIAL]}; shift 2 ;;
        --no-apt) APT=no; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
require_root_when_live

# The office's server gets no terminal: no kiosk user, screen, devices or their units.
if [ "$SIDE" = office ]; then
    office=(--root "$ROOT" --python "$PYTHON")
    if [ -n "$WHEEL" ]; then office+=(--wheel "$WHEEL"); fi
    if [ -n "$FIND_LINKS" ]; then office+=(--find-links "$FIND_LINKS"); fi
    if [ "$APT" = no ]; then office+=(--no-apt); fi
    exec "$DEPLOY_DIR/office/install.sh" "${office[@]}"
fi

refuse_other_side terminal

if is_live && [ "$APT" = yes ]; then
    say "installing Debian packages: $DEBIAN_PACKAGES"
    # shellcheck disable=SC2086  # the list is meant to split into words
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $DEBIAN_PACKAGES
fi
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "$PYTHON is not Python 3.11 or newer"

if is_live; then
    if ! getent passwd "$KIOSK_USER" >/dev/null; then
        say "creating the system user $KIOSK_USER"
        useradd --system --user-group --home-dir "$DATA" --no-create-home \
            --shell /usr/sbin/nologin --comment "meter-reading kiosk" "$KIOSK_USER"
    fi
    usermod --append --groups "$KIOSK_GROUPS" "$KIOSK_USER"
    # Debian gives the GPU's render node to the render group.
    if getent group render >/dev/null; then usermod --append --groups render "$KIOSK_USER"; fi
fi

# Directories, each with its mode and owner.
mkdir -p "$(at "$OPT")" "$(at "$RELEASES")" "$(at "$ETC")" "$(at "$DATA")" "$(at "$BACKUPS")" \
    "$(at /etc/systemd/system)" "$(at /etc/systemd/journald.conf.d)" "$(at /etc/udev/rules.d)" \
    "$(at /etc/pam.d)" "$(at /etc/tmpfiles.d)" "$(at /usr/local/bin)"
own 0755 root:root "$OPT"
own 0755 root:root "$RELEASES"
# The configuration holds the office secret: readable by the kiosk, writable by root only.
own 0750 "root:$KIOSK_USER" "$ETC"
own 0750 "$KIOSK_USER:$KIOSK_USER" "$DATA"
own 0700 "$KIOSK_USER:$KIOSK_USER" "$BACKUPS"

VERSION=$(release_of "$WHEEL" "$PYTHON")
install_release "$VERSION" "$WHEEL" "$PYTHON" "$FIND_LINKS" "$SIDE"
own 0755 root:root "$RELEASES/$VERSION"
CURRENT=$(current_release)
if [ -z "$CURRENT" ]; then
    switch_current "$VERSION"
elif [ "$CURRENT" != "$VERSION" ]; then
    say "release $CURRENT stays current; switch with deploy/upgrade.sh, which migrates and checks"
fi

# Configuration: written once, then the administrator's.
put_once 0640 "root:$KIOSK_USER" "$DEPLOY_DIR/kiosk.example.toml" "$ETC/kiosk.toml"
put_once 0600 root:root "$DEPLOY_DIR/office/office.example.env" "$ETC/office.env"

rules=/etc/udev/rules.d/70-kiosk-devices.rules
if [ ! -e "$(at "$rules")" ] || [ -n "$PRINTER$SCANNER" ]; then
    "$PYTHON" "$DEPLOY_DIR/udev/render.py" --printer "$PRINTER" --scanner "$SCANNER" \
        <"$DEPLOY_DIR/udev/70-kiosk-devices.rules.in" >"$(at "$rules")"
fi
own 0644 root:root "$rules"

# Files that belong to the release: replaced at every run.
for unit in $UNITS; do
    put 0644 root:root "$(unit_source "$unit")" "/etc/systemd/system/$unit"
done
put 0644 root:root "$DEPLOY_DIR/pam/kiosk" /etc/pam.d/kiosk
put 0644 root:root "$DEPLOY_DIR/journald/kiosk.conf" /etc/systemd/journald.conf.d/kiosk.conf
put 0644 root:root "$DEPLOY_DIR/tmpfiles/kiosk.conf" /etc/tmpfiles.d/kiosk.conf
put 0755 root:root "$DEPLOY_DIR/bin/kiosk" /usr/local/bin/kiosk
put 0644 root:root "$DEPLOY_DIR/README.md" "$OPT/README.md"

write_ownership
apply_ownership

if is_live; then
    systemctl daemon-reload
    # tty1 belongs to the kiosk: no login prompt fighting cage for it.
    systemctl disable getty@tty1.service
    # shellcheck disable=SC2086  # a list of unit names
    systemctl enable $ENABLED_UNITS
    systemd-tmpfiles --create /etc/tmpfiles.d/kiosk.conf
    udevadm control --reload
    udevadm trigger --subsystem-match=tty
    systemctl restart systemd-journald
    say "installed release $VERSION. Next: edit $ETC/kiosk.toml (deploy/README.md), then reboot."
else
    # shellcheck disable=SC2086  # a list of unit names
    systemctl --root="$ROOT" --quiet enable $ENABLED_UNITS
    say "staged release $VERSION into $ROOT; owners to apply as root are in $(at "$OPT/ownership")"
fi
