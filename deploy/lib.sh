# shellcheck shell=bash
# Shared by install.sh, upgrade.sh and uninstall.sh (sourced, not run).
#
# ROOT is the tree to work on: "/" for the machine itself, any other directory for a staging
# tree that nothing runs from (tests, reviewing what an install writes). In a staging tree no
# user is created, nothing is chowned and no service is touched; see "ownership" below.

# shellcheck disable=SC2034  # the variables are used by the scripts that source this file
DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CHECKOUT_DIR=$(dirname "$DEPLOY_DIR")
KIOSK_USER=kiosk
# dialout: the serial printer and scanner; video and input: the display and the touch screen.
KIOSK_GROUPS=dialout,video,input
OPT=/opt/kiosk
RELEASES=$OPT/releases
ETC=/etc/kiosk
DATA=/var/lib/kiosk
BACKUPS=$DATA/backups
UNITS="kiosk.service kiosk-backup.service kiosk-backup.timer kiosk-office.service"
ENABLED_UNITS="kiosk.service kiosk-backup.timer"

# The terminal's units live in deploy/systemd, the office's in deploy/office.
unit_source() {
    case $1 in
        kiosk-office.*) printf '%s/office/%s' "$DEPLOY_DIR" "$1" ;;
        *) printf '%s/systemd/%s' "$DEPLOY_DIR" "$1" ;;
    esac
}

say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { say "$*"; exit 1; }

# The path of an absolute target path inside ROOT.
at() { printf '%s%s' "${ROOT%/}" "$1"; }

is_live() { [ "$ROOT" = / ]; }

require_root_when_live() {
    if is_live && [ "$(id -u)" != 0 ]; then
        die "installing on this machine needs root (or stage into a directory with --root DIR)"
    fi
}

# Ownership. The kiosk user exists only on the target machine, so every path the scripts create
# is recorded with its mode and intended owner in $OPT/ownership ("MODE OWNER:GROUP PATH"). Modes
# are applied everywhere; owners only on the live machine (apply_ownership), where an image
# builder that stages a tree can apply the same file as root.
OWNERSHIP_ENTRIES=()

own() {  # own MODE OWNER:GROUP PATH
    chmod "$1" "$(at "$3")"
    OWNERSHIP_ENTRIES+=("$1 $2 $3")
}

put() {  # put MODE OWNER:GROUP SOURCE PATH: a file of the release, replaced at every run
    install -m "$1" "$3" "$(at "$4")"
    own "$1" "$2" "$4"
}

put_once() {  # put_once MODE OWNER:GROUP SOURCE PATH: configuration, written once, then the administrator's
    if [ ! -e "$(at "$4")" ]; then
        install -m "$1" "$3" "$(at "$4")"
    fi
    own "$1" "$2" "$4"
}

write_ownership() {
    printf '%s\n' "${OWNERSHIP_ENTRIES[@]}" | LC_ALL=C sort -k3 >"$(at "$OPT/ownership")"
    chmod 0644 "$(at "$OPT/ownership")"
}

apply_ownership() {
    is_live || return 0
    local mode owner path
    while read -r mode owner path; do
        chown "$owner" "$path"
    done <"$OPT/ownership"
}

# The release a wheel (meter_kiosk-0.2.0-py3-none-any.whl) or the checkout would install.
release_of() {
    local wheel=$1 python=$2
    if [ -n "$wheel" ]; then
        [ -f "$wheel" ] || die "no such wheel: $wheel"
        local name=${wheel##*/}
        name=${name#*-}
        printf '%s' "${name%%-*}"
    else
        "$python" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' \
            "$CHECKOUT_DIR/pyproject.toml"
    fi
}

# Install the package with the given extras (default: terminal) into its own virtual environment
# at $RELEASES/VERSION, unless a complete
# one is there already. The venv is made at its final path (console scripts name it in their
# first line) and marked complete last, so a half-made release is redone, never used. Units run
# bin/python -P -m kiosk, which works wherever the tree is, so a staged release runs in place too
# (-P: never the working directory's kiosk folder, e.g. a checkout, instead of the release).
install_release() {
    local version=$1 wheel=$2 python=$3 find_links=$4 extras=${5:-terminal}
    local dir
    dir=$(at "$RELEASES/$version")
    if [ -f "$dir/.complete" ]; then
        refuse_other_side "$extras" "$dir"
        say "release $version is installed already"
        return 0
    fi
    say "installing release $version into $dir"
    rm -rf "$dir"
    mkdir -p "$(dirname "$dir")"
    "$python" -m venv "$dir"
    local pip=("$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-warn-script-location)
    if [ -n "$find_links" ]; then
        pip+=(--no-index --find-links "$find_links")
    fi
    # One side of the product: a terminal gets Kivy and what the screen needs, never the office's
    # web stack ("terminal"); the office server the reverse ("office").
    "${pip[@]}" "${wheel:-$CHECKOUT_DIR}[$extras]"
    touch "$dir/.complete"
}

# The side a release was installed for, from what its environment holds: the terminal's has Kivy,
# the office's its web stack.
release_side() {  # release_side DIR
    "$1/bin/python" -P -c 'import importlib.util as u
print("terminal" if u.find_spec("kivy") else "office" if u.find_spec("fastapi") else "")' 2>/dev/null || true
}

# A terminal and the office cannot live on one machine: they would share $OPT/current, the releases
# under it and /usr/local/bin/kiosk, and the second would replace the first's stack with its own.
# Refused before anything is written.
refuse_other_side() {  # refuse_other_side SIDE [RELEASE_DIR]
    local wanted=$1 dir=${2:-$(at "$OPT/current")} side
    [ -x "$dir/bin/python" ] || return 0
    side=$(release_side "$dir")
    if [ -n "$side" ] && [ "$side" != "$wanted" ]; then
        die "this machine has the $side installed (release ${dir##*/} in $OPT); the $wanted cannot go" \
            "beside it, both would use $OPT/current and /usr/local/bin/kiosk. Install the $wanted on a" \
            "machine of its own, or remove the $side first (deploy/uninstall.sh keeps its data)"
    fi
}

# Point $OPT/current at a release in one rename, so a reader never sees it missing.
switch_current() {
    local version=$1
    ln -sfn "releases/$version" "$(at "$OPT/current.new")"
    mv -T "$(at "$OPT/current.new")" "$(at "$OPT/current")"
}

current_release() {
    local target
    target=$(readlink "$(at "$OPT/current")" 2>/dev/null) || return 0
    printf '%s' "${target##*/}"
}
