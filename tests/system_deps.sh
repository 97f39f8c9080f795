#!/usr/bin/env bash
# System packages the test suite needs: Debian's Chromium + ChromeDriver
# (browser tests via dash_duo) and PostgreSQL's server binaries (initdb/pg_ctl).
# Installs them when running as root with apt-get; otherwise says what to install.
set -euo pipefail

have_cmd() {  # have_cmd NAME -> on PATH or in /usr/bin
    command -v "$1" >/dev/null 2>&1 || [ -x "/usr/bin/$1" ]
}

have_pg() {  # initdb and pg_ctl, on PATH or under /usr/lib/postgresql/*/bin
    local tool dir found
    for tool in initdb pg_ctl; do
        found=no
        command -v "$tool" >/dev/null 2>&1 && found=yes
        for dir in /usr/lib/postgresql/*/bin; do
            [ -x "$dir/$tool" ] && found=yes
        done
        [ "$found" = yes ] || return 1
    done
}

missing() {
    local m=()
    have_cmd chromium || m+=(chromium)
    have_cmd chromedriver || m+=(chromedriver)
    have_pg || m+=("postgresql (initdb/pg_ctl)")
    if [ ${#m[@]} -gt 0 ]; then printf '%s\n' "${m[@]}"; fi
}

joined() { missing | awk 'NR > 1 { printf ", " } { printf "%s", $0 }'; }

todo="$(joined)"
[ -z "$todo" ] && exit 0

echo "system_deps: missing: $todo" >&2
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "system_deps: installing chromium chromium-driver postgresql with apt-get" >&2
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver postgresql
    todo="$(joined)"
    [ -z "$todo" ] && exit 0
    echo "system_deps: still missing after apt-get: $todo" >&2
    exit 1
fi

echo "system_deps: the tests need Chromium, ChromeDriver and PostgreSQL. Install them with:" >&2
echo "    sudo apt-get install chromium chromium-driver postgresql" >&2
exit 1
