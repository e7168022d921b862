# Shared set-up steps for scripts/demo and scripts/test on a Debian machine (sourced, not run).

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

APT_UPDATED=0
apt_install() {
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        return 1
    fi
    if [ "$APT_UPDATED" = 0 ]; then
        say "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && APT_UPDATED=1
    fi
    say "installing $* with apt"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

find_python() {
    for candidate in python3 python3.13 python3.12 python3.11; do
        if command -v "$candidate" >/dev/null &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

# ensure_venv EXTRAS: a .venv with the project installed (re-installed only when pyproject.toml changes).
ensure_venv() {
    local extras="$1" py stamp
    py="$(find_python)" || { apt_install python3 python3-venv && py="$(find_python)"; } || {
        echo "nearcare needs Python 3.11 or newer" >&2
        exit 1
    }
    if [ ! -x .venv/bin/python ]; then
        say "creating the virtual environment (.venv)"
        if ! "$py" -m venv .venv 2>/dev/null; then
            rm -rf .venv
            apt_install python3-venv || { echo "python3-venv is missing; install it" >&2; exit 1; }
            "$py" -m venv .venv
        fi
        .venv/bin/python -m pip install -q --upgrade pip
    fi
    stamp=".venv/.nearcare-$(cat pyproject.toml | sha1sum | cut -c1-12)-${extras//[^a-z]/}"
    if [ ! -f "$stamp" ]; then
        say "installing nearcare and its dependencies into .venv"
        .venv/bin/python -m pip install -q -e ".${extras}"
        rm -f .venv/.nearcare-* && touch "$stamp"
    fi
}
