#!/usr/bin/env bash
# Installs the native provider plugin `winrmproxy` (docs/native-provider.md) into the Pulumi plugin cache
# ($PULUMI_HOME/plugins, default ~/.pulumi/plugins) as resource-winrmproxy-v<package version>, so the engine finds it
# without PATH (and without its "using pulumi-resource-winrmproxy from $PATH" warning). The installed plugin is a
# launcher that starts Node on this package's built provider (dist/provider/src/native/main.js): run the script again
# after moving or upgrading the package.
#
# Usage: scripts/install-native-plugin.sh      with the `pulumi` on PATH, or PULUMI="node scripts/pulumi.mjs" (the
#                                              pinned CLI of this repository); PULUMI_HOME as the CLI uses it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fail() {
  echo "install-native-plugin: ERROR: $*" >&2
  exit 1
}

MAIN="$ROOT/dist/provider/src/native/main.js"
[ -f "$MAIN" ] || fail "$MAIN is missing: build the package first (npm run build)"
VERSION="$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).version)' "$ROOT/package.json")"
[ -n "$VERSION" ] || fail "no version in $ROOT/package.json"
case "$ROOT" in
  *\'* | *\"* | *\$* | *\`* | *\\*) fail "the package path $ROOT has a quote, \$, \` or \\ in it; move the package" ;;
esac

if [ -n "${PULUMI:-}" ]; then
  read -r -a CLI <<<"$PULUMI"
elif command -v pulumi >/dev/null 2>&1; then
  CLI=(pulumi)
else
  fail "no pulumi on PATH: set PULUMI to the CLI (in this repository: PULUMI=\"node scripts/pulumi.mjs\")"
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cat >"$WORK/pulumi-resource-winrmproxy" <<LAUNCHER
#!/bin/sh
# Installed by scripts/install-native-plugin.sh from $ROOT (version $VERSION).
exec node "$MAIN" "\$@"
LAUNCHER
chmod 755 "$WORK/pulumi-resource-winrmproxy"
tar -czf "$WORK/plugin.tar.gz" -C "$WORK" pulumi-resource-winrmproxy

"${CLI[@]}" plugin install resource winrmproxy "$VERSION" --file "$WORK/plugin.tar.gz" --reinstall >&2
echo "install-native-plugin: resource plugin winrmproxy v$VERSION installed (starts $MAIN)" >&2
