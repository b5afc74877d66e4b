#!/usr/bin/env bash
# Installs the Debian 12 packages crmq needs to build, test and run its local
# stack, and only those that are missing.  Prints one line and does nothing
# when everything is there.  `make deps` (and so `make test`/`make demo`) runs it.
#
# Runs `apt-get update` only when an install fails (a fresh machine has no
# package lists), then retries once.  Uses sudo when not root.  It does not
# start the system PostgreSQL or Redis services: a policy-rc.d that denies
# service starts is put in place for the duration of the install (when we are
# root and none exists).  crmq's stack (deploy/stack.sh) runs its own
# PostgreSQL and Redis on their own ports and never depends on the system ones.
set -euo pipefail

PACKAGES=(
    build-essential pkg-config
    libzmq3-dev libczmq-dev libprotobuf-c-dev protobuf-c-compiler
    libpq-dev libhiredis-dev libjansson-dev libcsv-dev libssl-dev
    libphonenumber-dev libicu-dev
    # webhooks and e-mail of crmq-notify
    libcurl4-openssl-dev
    # RRULE schedules of crmq-analytics' report templates
    libical-dev
    postgresql postgresql-contrib redis-server
    valgrind python3
    # the example ERP publisher (examples/python) and its test
    python3-zmq python3-protobuf protobuf-compiler
    # the HTML report test (tests/integration/report_html.sh): headless
    # rendering of the page and a font with Latin and Cyrillic for it
    chromium fonts-dejavu-core
)

missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [[ $status != "install ok installed" ]]; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#PACKAGES[@]} packages are installed"
    exit 0
fi

echo "install-deps: installing ${missing[*]}"

SUDO=()
if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "install-deps: not root and no sudo; install these as root:" >&2
        echo "  apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi

# Keep the packages' maintainer scripts from starting system services.
policy=/usr/sbin/policy-rc.d
policy_added=0
if ((EUID == 0)) && [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# added by crmq deploy/install-deps.sh for the install only\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    policy_added=1
fi
cleanup() {
    if ((policy_added)); then rm -f "$policy"; fi
}
trap cleanup EXIT

apt_install() {
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}"
}

if ! apt_install; then
    echo "install-deps: install failed; running apt-get update and retrying" >&2
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    apt_install
fi

still=()
for pkg in "${missing[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || still+=("$pkg")
done
if ((${#still[@]})); then
    echo "install-deps: still missing after install: ${still[*]}" >&2
    exit 1
fi
echo "install-deps: installed ${missing[*]}"
