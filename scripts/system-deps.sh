#!/usr/bin/env bash
# The one list of system packages the project needs, and their installation.
#
#   scripts/system-deps.sh start   what `npm start` needs
#   scripts/system-deps.sh test    what `npm test` (and CI) needs
#
# Finds what is missing; installs it with apt-get when running as root or with passwordless
# sudo (`sudo -n`), non-interactively; otherwise stops with one message that gives the exact
# command to run. On a machine without apt-get it names what is needed, and the variables that
# point the scripts at what the machine already has. Exit codes: 0 ready, 1 something is missing.
#
# Uses only bash built-ins and the tools it checks for (tests run it with a PATH of fakes).
set -euo pipefail

purpose="${1:-test}"
case "$purpose" in
  start | test) ;;
  *) echo "usage: scripts/system-deps.sh start|test" >&2; exit 2 ;;
esac
here="${BASH_SOURCE[0]%/*}"

have() { command -v "$1" >/dev/null 2>&1; }

packages=() # Debian package names
reasons=()  # one line per package: why it is needed
need() { packages+=("$1"); reasons+=("  $1: $2"); }

say() { echo "system-deps: $*" >&2; }

# git: the extension drives it, the tests make repositories with it.
have git || need git "the extension and its tests run git"

# A browser for the UI tests (the workbench in code-server, driven by playwright-core).
if [ "$purpose" = test ]; then
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    if [ ! -x "$CHROMIUM_PATH" ]; then
      say "CHROMIUM_PATH is $CHROMIUM_PATH, which is not an executable file. Point it at a Chromium or Chrome binary, or unset it to use Debian's chromium."
      exit 1
    fi
  elif ! have chromium; then
    need chromium "the UI tests drive VS Code's workbench in headless Chromium (or set CHROMIUM_PATH)"
  fi
fi

# code-server: `npm test` always uses it; `npm start` only without a desktop VS Code. Installing
# it builds native modules (kerberos among them), which needs these; once it is installed (or
# CODE_SERVER_BIN names one) they are not needed any more.
code_server_needed=yes
if [ -n "${CODE_SERVER_BIN:-}" ]; then
  code_server_needed=no
elif [ "$purpose" = start ] && { [ -n "${VSCODE_EXECUTABLE:-}" ] || have code; }; then
  code_server_needed=no
elif "$BASH" "$here/code-server.sh" --installed; then
  code_server_needed=no
fi
if [ "$code_server_needed" = yes ]; then
  why="installing code-server builds its native modules (node-gyp)"
  if have dpkg; then
    dpkg -s libkrb5-dev >/dev/null 2>&1 || need libkrb5-dev "$why: the kerberos module needs its headers"
  else
    have krb5-config || need libkrb5-dev "$why: the kerberos module needs the Kerberos headers (krb5-config)"
  fi
  have g++ || need g++ "$why"
  have make || need make "$why"
  have python3 || need python3 "$why"
fi

[ "${#packages[@]}" -eq 0 ] && exit 0

hatches="Or point the scripts at what this machine has: CHROMIUM_PATH=<a Chromium or Chrome binary> for the UI tests, CODE_SERVER_BIN=<a folder with code-server and node> instead of installing code-server, VSCODE_EXECUTABLE=<a desktop VS Code> for npm start and the in-host suite."

if ! have apt-get; then
  say "this machine has no apt-get, so the packages cannot be installed for you. Needed (Debian names; install your system's equivalents):"
  printf '%s\n' "${reasons[@]}" >&2
  say "$hatches"
  exit 1
fi

if [ "$(id -u)" = 0 ]; then
  as_root=()
elif have sudo && sudo -n true >/dev/null 2>&1; then
  as_root=(sudo -n)
else
  say "missing system packages:"
  printf '%s\n' "${reasons[@]}" >&2
  say "installing them needs root. Run:"
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${packages[*]}" >&2
  say "then run this command again. $hatches"
  exit 1
fi

say "installing ${packages[*]} with apt-get (once; apt shows its progress below):"
printf '%s\n' "${reasons[@]}" >&2
# apt's own output goes to stderr too: stdout stays free for whoever calls this.
"${as_root[@]}" apt-get update >&2
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}" >&2
say "installed ${packages[*]}"
