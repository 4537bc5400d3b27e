#!/bin/bash
# Upgrade a terminal to a new release, and roll back when the new one is not healthy.
#
#  1. install the new release beside the current one (install.sh: config and data untouched);
#  2. stop the kiosk and back up its database (the old schema) with `kiosk db backup`;
#  3. migrate the database with the new release (`kiosk db upgrade`);
#  4. point /opt/kiosk/current at the new release and start the kiosk;
#  5. wait for `kiosk status` to exit 0 within --health-timeout: no subsystem red that was not
#     red before the upgrade (a printer out of paper or a network down is the site's fault, not
#     the release's, and must not roll back a good release; a new red does).
# When 3 or 5 fails: stop, point current back at the old release, set the migrated database
# aside in backups/ (readings taken meanwhile are in it), restore the backup and start again.
# Exit status: 0 upgraded, 1 not upgraded (rolled back when it had switched), 2 usage.
#
# With --root DIR the same steps run on a staged tree without services: the health check is
# `kiosk status` run from that tree on its own configuration and data.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
    cat <<EOF
usage: ${0##*/} [--root DIR] [--wheel FILE] [--find-links DIR] [--python PYTHON]
                  [--health-timeout SECONDS] [--no-apt]

  --wheel, --find-links, --python, --no-apt, --root: as for install.sh
  --health-timeout  how long the new release has to report healthy (default: 120)
EOF
}

HEALTH_TIMEOUT=120
INSTALL_ARGS=()
ROOT=/
WHEEL=
PYTHON=/usr/bin/python3
while [ $# -gt 0 ]; do
    case $1 in
        --root) ROOT=$(realpath -m "${2:?--root needs a directory}"); INSTALL_ARGS+=("$1" "$ROOT"); shift 2 ;;
        --wheel) WHEEL=$(realpath "${2:?--wheel needs a file}"); INSTALL_ARGS+=("$1" "$WHEEL"); shift 2 ;;
        --python) PYTHON=${2:?--python needs a path}; INSTALL_ARGS+=("$1" "$2"); shift 2 ;;
        --find-links) INSTALL_ARGS+=("$1" "${2:?--find-links needs a directory}"); shift 2 ;;
        --health-timeout) HEALTH_TIMEOUT=${2:?--health-timeout needs seconds}; shift 2 ;;
        --no-apt) INSTALL_ARGS+=("$1"); shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
case $HEALTH_TIMEOUT in ''|*[!0-9]*) die "--health-timeout must be a whole number of seconds" ;; esac
require_root_when_live

OLD=$(current_release)
[ -n "$OLD" ] || die "no release is installed; run install.sh first"
NEW=$(release_of "$WHEEL" "$PYTHON")
[ "$NEW" != "$OLD" ] || die "release $NEW is current already"
DATABASE=$DATA/kiosk.sqlite3

"$DEPLOY_DIR/install.sh" "${INSTALL_ARGS[@]}"

# The kiosk command of a release, as the kiosk user, on the terminal's configuration.
kiosk_of() {
    local release=$1
    shift
    if is_live; then
        runuser -u "$KIOSK_USER" -- env KIOSK_CONFIG="$ETC/kiosk.toml" \
            "$RELEASES/$release/bin/python" -P -m kiosk "$@"
    else
        KIOSK_CONFIG=$(at "$ETC/kiosk.toml") KIOSK_TERMINAL_DATA_DIR=$(at "$DATA") \
            "$(at "$RELEASES/$release/bin/python")" -P -m kiosk "$@"
    fi
}

service() {
    if is_live; then systemctl "$@"; fi
}

healthy() {
    if is_live && ! systemctl --quiet is-active kiosk.service; then
        return 1
    fi
    kiosk_of "$NEW" status --baseline "$BASELINE" >/dev/null
}

BACKUP=
rollback() {
    say "release $NEW failed: $1; rolling back to $OLD"
    service stop kiosk.service
    switch_current "$OLD"
    if [ -n "$BACKUP" ]; then
        local aside
        aside=$(at "$BACKUPS")/failed-upgrade-$NEW-$(date -u +%Y%m%dT%H%M%SZ)
        mkdir -p "$aside"
        # The -wal file holds the newest commits: it goes with its database.
        for file in "$(at "$DATABASE")" "$(at "$DATABASE")-wal" "$(at "$DATABASE")-shm"; do
            if [ -e "$file" ]; then mv "$file" "$aside/"; fi
        done
        install -m 0640 "$BACKUP" "$(at "$DATABASE").restore"
        if is_live; then chown -R "$KIOSK_USER:$KIOSK_USER" "$aside" "$DATABASE.restore"; fi
        mv "$(at "$DATABASE").restore" "$(at "$DATABASE")"
        say "restored the database from $BACKUP; the one release $NEW used is in $aside"
    fi
    service start kiosk.service
    exit 1
}

# How the terminal is doing before the upgrade, judged by the release that runs it now. An old
# release that cannot tell leaves the file empty: then every red counts against the new one.
BASELINE=$(mktemp)
trap 'rm -f "$BASELINE"' EXIT
kiosk_of "$OLD" status >"$BASELINE" 2>/dev/null || true

# A migration needs the database to itself.
service stop kiosk.service kiosk-backup.service
if [ -e "$(at "$DATABASE")" ]; then
    summary=$(kiosk_of "$NEW" db backup "$(at "$BACKUPS")/pre-upgrade" --keep 5) \
        || { service start kiosk.service; die "could not back up the database; nothing changed"; }
    BACKUP=$("$(at "$RELEASES/$NEW/bin/python")" -c 'import json, sys; print(json.load(sys.stdin)["backup"])' \
        <<<"$summary")
    say "database backed up to $BACKUP"
fi

kiosk_of "$NEW" db upgrade >/dev/null || rollback "the database migration failed"
switch_current "$NEW"
service start kiosk.service

deadline=$((SECONDS + HEALTH_TIMEOUT))
until healthy; do
    if [ "$SECONDS" -ge "$deadline" ]; then
        rollback "kiosk status did not report healthy within $HEALTH_TIMEOUT s"
    fi
    sleep 5
done

# Keep the old release for a manual roll back; older ones go.
for release in "$(at "$RELEASES")"/*; do
    case ${release##*/} in "$NEW"|"$OLD") ;; *) rm -rf "$release" ;; esac
done
say "upgraded from $OLD to $NEW"
