#!/usr/bin/env bash
# Builds the pinned Pulumi engine this project runs on: the `pulumi` CLI, the `pulumi-language-nodejs` language host and
# the Pulumi YAML language host `pulumi-language-yaml` (for `runtime: yaml` programs on the native provider,
# docs/native-provider.md) and the Go language host `pulumi-language-go` (for `runtime: go` programs on the generated Go
# SDK), from the Go modules pinned in tools/pulumi, tools/pulumi-language-nodejs, tools/pulumi-yaml and
# tools/pulumi-language-go,
# into a cache shared by every checkout:
#   ${PULUMI_WINRM_CACHE:-$HOME/.cache/pulumi-winrm-proxy}/pulumi-<version>/bin
# and writes the `pulumi-resource-pulumi-nodejs` launcher (the dynamic-resource provider plugin) beside them.
# Why it is built from source and why the language host is not v3.248.0: docs/pulumi-engine.md.
#
# Usage: scripts/pulumi-engine.sh            build what is missing or stale, then print the bin dir (last stdout line)
#        scripts/pulumi-engine.sh --check    exit 0 when the engine is built and current, 1 (with the reason) otherwise
#        scripts/pulumi-engine.sh --bin-dir  print the bin dir only (no build, no check)
# Idempotent: when the binaries are present, built from the current go.mod/go.sum, and `pulumi version` prints the pinned
# version, it only checks (well under a second). A cold build needs the Go module proxy and takes ~10 min on 2 cores.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/tools"

# The language host's version: the one variable to change. v3.68.0 because the Go module proxy refuses the v3.248.0
# host module (docs/pulumi-engine.md). Where the proxy serves it, set "v3.248.0": the first run then creates and pins
# tools/pulumi-language-nodejs-v3.248.0 (go.mod + go.sum: commit them) and builds the host from it.
LANGUAGE_HOST_VERSION="v3.68.0"
# The commit of the v3.248.0 release, for a language host module that has no release tag of its own.
PULUMI_RELEASE_COMMIT_v3_248_0="dc7edd58bc13179f81b80983aab4eb7f74a01b41"

fail() {
  echo "pulumi-engine: ERROR: $*" >&2
  exit 1
}
log() { echo "pulumi-engine: $*" >&2; }

# The CLI's version is the pkg/v3 requirement of tools/pulumi/go.mod; it must match the repository's own @pulumi/pulumi
# (the devDependency: the package itself takes the user's SDK through its peerDependencies range).
PULUMI_VERSION="$(sed -n 's#^[[:space:]]*\(require[[:space:]]\{1,\}\)\{0,1\}github.com/pulumi/pulumi/pkg/v3 \(v[0-9][^[:space:]]*\).*#\2#p' "$TOOLS/pulumi/go.mod" | head -n 1)"
[ -n "$PULUMI_VERSION" ] || fail "no github.com/pulumi/pulumi/pkg/v3 requirement in $TOOLS/pulumi/go.mod"
NPM_PULUMI_VERSION="$(node -p 'require(process.argv[1]).devDependencies?.["@pulumi/pulumi"] ?? ""' "$ROOT/package.json")"
[ "v$NPM_PULUMI_VERSION" = "$PULUMI_VERSION" ] ||
  fail "tools/pulumi/go.mod pins pulumi $PULUMI_VERSION but package.json's devDependencies have @pulumi/pulumi \"$NPM_PULUMI_VERSION\": the engine and the SDK must be the same release; change both"

CACHE="${PULUMI_WINRM_CACHE:-$HOME/.cache/pulumi-winrm-proxy}"
ENGINE_DIR="$CACHE/pulumi-$PULUMI_VERSION"
BIN="$ENGINE_DIR/bin"

case "${1:-}" in
  --bin-dir) echo "$BIN"; exit 0 ;;
  --check | "") ;;
  *) fail "unknown argument '$1' (usage: scripts/pulumi-engine.sh [--check | --bin-dir])" ;;
esac
MODE="${1:-build}"

# Where the language host's package lives: inside sdk/v3 up to v3.68.0, its own module from v3.69.0 on.
host_minor="$(echo "$LANGUAGE_HOST_VERSION" | sed -n 's/^v3\.\([0-9]\{1,\}\)\..*/\1/p')"
[ -n "$host_minor" ] || fail "LANGUAGE_HOST_VERSION must be v3.<minor>.<patch>, not '$LANGUAGE_HOST_VERSION'"
if [ "$host_minor" -le 68 ]; then
  HOST_MODULE_DIR="$TOOLS/pulumi-language-nodejs"
  HOST_PACKAGE="github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
  grep -q "github.com/pulumi/pulumi/sdk/v3 $LANGUAGE_HOST_VERSION\b" "$HOST_MODULE_DIR/go.mod" ||
    fail "$HOST_MODULE_DIR/go.mod does not pin github.com/pulumi/pulumi/sdk/v3 $LANGUAGE_HOST_VERSION"
else
  HOST_MODULE_DIR="$TOOLS/pulumi-language-nodejs-$LANGUAGE_HOST_VERSION"
  HOST_PACKAGE="github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3"
fi
# Both the CLI and the host print their version from this variable; a plain `go build` leaves it empty.
VERSION_VAR="github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"

# The YAML language host: github.com/pulumi/pulumi-yaml at the version tools/pulumi-yaml/go.mod requires (its own
# release line, independent of the CLI's: it talks to the engine over gRPC only). Its version variable is its own.
YAML_MODULE_DIR="$TOOLS/pulumi-yaml"
YAML_PACKAGE="github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
YAML_VERSION_VAR="github.com/pulumi/pulumi-yaml/pkg/version.Version"
YAML_VERSION="$(sed -n 's#^[[:space:]]*\(require[[:space:]]\{1,\}\)\{0,1\}github.com/pulumi/pulumi-yaml \(v[0-9][^[:space:]]*\).*#\2#p' "$YAML_MODULE_DIR/go.mod" | head -n 1)"
[ -n "$YAML_VERSION" ] || fail "no github.com/pulumi/pulumi-yaml requirement in $YAML_MODULE_DIR/go.mod"

# The Go language host: a package of sdk/v3 at the version tools/pulumi-language-go/go.mod requires (v3.66.0, the last
# release that ships it inside sdk/v3: the proxy refuses its own module; that go.mod says more).
GOHOST_MODULE_DIR="$TOOLS/pulumi-language-go"
GOHOST_PACKAGE="github.com/pulumi/pulumi/sdk/v3/go/pulumi-language-go"
GOHOST_VERSION="$(sed -n 's#^[[:space:]]*\(require[[:space:]]\{1,\}\)\{0,1\}github.com/pulumi/pulumi/sdk/v3 \(v[0-9][^[:space:]]*\).*#\2#p' "$GOHOST_MODULE_DIR/go.mod" | head -n 1)"
[ -n "$GOHOST_VERSION" ] || fail "no github.com/pulumi/pulumi/sdk/v3 requirement in $GOHOST_MODULE_DIR/go.mod"

LAUNCHER_TEXT="$(cat <<'EOF'
#!/bin/sh
# Written by scripts/pulumi-engine.sh (pulumi-winrm-proxy). The Pulumi engine runs this plugin, the provider of
# @pulumi/pulumi dynamic resources, with cwd = the project directory; it runs @pulumi/pulumi/cmd/dynamic-provider from
# the node_modules that Node resolves from there (the project's own, or a parent directory's).
script=$(node -e 'process.stdout.write(require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [process.cwd()] }))') || {
  echo "pulumi-resource-pulumi-nodejs: cannot resolve @pulumi/pulumi/cmd/dynamic-provider from $(pwd): install @pulumi/pulumi there (npm ci)" >&2
  exit 1
}
exec node "$script" "$@"
EOF
)"

stamp_of() { # the inputs a binary is built from; a change rebuilds it
  { echo "$1"; cat "$2/go.mod" "$2/go.sum"; } | sha256sum | cut -d' ' -f1
}

# Prints why the engine is not current (nothing when it is).
staleness() {
  local v
  if [ ! -x "$BIN/pulumi" ]; then echo "pulumi is not built"; return; fi
  if [ "$(cat "$ENGINE_DIR/pulumi.stamp" 2>/dev/null)" != "$(stamp_of "$PULUMI_VERSION" "$TOOLS/pulumi")" ]; then
    echo "pulumi was built from another tools/pulumi/go.mod or go.sum"; return
  fi
  v="$(PULUMI_HOME="$ENGINE_DIR/home" PULUMI_SKIP_UPDATE_CHECK=1 "$BIN/pulumi" version 2>/dev/null || true)"
  if [ "$v" != "$PULUMI_VERSION" ]; then echo "pulumi version prints '$v', not $PULUMI_VERSION"; return; fi
  if [ ! -x "$BIN/pulumi-language-nodejs" ]; then echo "pulumi-language-nodejs is not built"; return; fi
  if [ ! -f "$HOST_MODULE_DIR/go.mod" ] ||
    [ "$(cat "$ENGINE_DIR/pulumi-language-nodejs.stamp" 2>/dev/null)" != "$(stamp_of "$LANGUAGE_HOST_VERSION" "$HOST_MODULE_DIR")" ]; then
    echo "pulumi-language-nodejs was not built from $HOST_MODULE_DIR at $LANGUAGE_HOST_VERSION"; return
  fi
  if [ ! -x "$BIN/pulumi-language-yaml" ] ||
    [ "$(cat "$ENGINE_DIR/pulumi-language-yaml.stamp" 2>/dev/null)" != "$(stamp_of "$YAML_VERSION" "$YAML_MODULE_DIR")" ]; then
    echo "pulumi-language-yaml was not built from $YAML_MODULE_DIR at $YAML_VERSION"; return
  fi
  if [ ! -x "$BIN/pulumi-language-go" ] ||
    [ "$(cat "$ENGINE_DIR/pulumi-language-go.stamp" 2>/dev/null)" != "$(stamp_of "$GOHOST_VERSION" "$GOHOST_MODULE_DIR")" ]; then
    echo "pulumi-language-go was not built from $GOHOST_MODULE_DIR at $GOHOST_VERSION"; return
  fi
  if [ ! -x "$BIN/pulumi-resource-pulumi-nodejs" ] || ! printf '%s\n' "$LAUNCHER_TEXT" | cmp -s - "$BIN/pulumi-resource-pulumi-nodejs"; then
    echo "the pulumi-resource-pulumi-nodejs launcher is missing or outdated"
  fi
}

if [ "$MODE" = "--check" ]; then
  why="$(staleness)"
  if [ -n "$why" ]; then log "not current: $why (run bash scripts/pulumi-engine.sh)"; exit 1; fi
  exit 0
fi

why="$(staleness)"
if [ -z "$why" ]; then
  log "pulumi $PULUMI_VERSION + pulumi-language-nodejs $LANGUAGE_HOST_VERSION + pulumi-language-yaml $YAML_VERSION + pulumi-language-go $GOHOST_VERSION already built in $BIN"
  echo "$BIN"
  exit 0
fi
log "$why: building"

# --- Go -------------------------------------------------------------------------------------------------------------
GO="${GO:-$(command -v go || true)}"
[ -n "$GO" ] || GO=/usr/local/go/bin/go
[ -x "$GO" ] || fail "Go is needed to build the Pulumi engine and was not found (not on PATH, not /usr/local/go/bin/go). Install Go >= $(sed -n 's/^go //p' "$TOOLS/pulumi/go.mod") from https://go.dev/dl/ and run again."
# GOTOOLCHAIN=local: use this Go or fail, never download another toolchain behind the user's back.
export GOTOOLCHAIN=local
# -mod=readonly: go.mod and go.sum are the pins; a build never edits them (a missing hash is an error, not a lookup).
export GOFLAGS="-mod=readonly -buildvcs=false"
# GOSUMDB=off: sum.golang.org is unreachable from the machines this project is developed on (it answers 404). This
# does not weaken the pin: every module the builds use has its hash in the committed go.sum, and with -mod=readonly Go
# verifies each download against it and refuses anything not listed. The checksum database would only matter for
# adding hashes, which these builds never do.
export GOSUMDB=off
need_go="$(sed -n 's/^go //p' "$TOOLS/pulumi/go.mod")"
have_go="$("$GO" env GOVERSION 2>/dev/null | sed 's/^go//')" || true
[ -n "$have_go" ] || fail "$GO does not run"
if [ "$(printf '%s\n%s\n' "$need_go" "$have_go" | sort -V | head -n 1)" != "$need_go" ]; then
  fail "tools/pulumi/go.mod needs Go >= $need_go; $GO is go$have_go. Install a newer Go from https://go.dev/dl/ (or set GO=/path/to/go) and run again."
fi

mkdir -p "$BIN" "$ENGINE_DIR/home"
# One build at a time per cache (two checkouts, or setup.sh run twice in parallel).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$ENGINE_DIR/.lock"
  flock 9
fi
WORK="$(mktemp -d "$ENGINE_DIR/build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

go_build() { # <module dir> <package> <version> <output name> [<version variable>]
  local dir="$1" pkg="$2" version="$3" out="$4" version_var="${5:-$VERSION_VAR}" started=$SECONDS
  log "go build $pkg ($version) in ${dir#"$ROOT"/}; a cold Go cache downloads from ${GOPROXY:-$("$GO" env GOPROXY)} and takes minutes"
  if ! (cd "$dir" && "$GO" build -o "$WORK/$out" -ldflags "-X $version_var=$version" "$pkg"); then
    fail "building $out $version failed (Go's error above). Usual causes: no access to the Go module proxy ($("$GO" env GOPROXY)) on a cold module cache; a go.sum line missing or not matching a download (go.sum is the pin: do not 'go mod tidy' it away; see docs/pulumi-engine.md)"
  fi
  log "built $out in $((SECONDS - started)) s"
}

# The CLI.
if [ ! -x "$BIN/pulumi" ] || [ "$(cat "$ENGINE_DIR/pulumi.stamp" 2>/dev/null)" != "$(stamp_of "$PULUMI_VERSION" "$TOOLS/pulumi")" ] ||
  [ "$(PULUMI_HOME="$ENGINE_DIR/home" PULUMI_SKIP_UPDATE_CHECK=1 "$BIN/pulumi" version 2>/dev/null || true)" != "$PULUMI_VERSION" ]; then
  go_build "$TOOLS/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "$PULUMI_VERSION" pulumi
  v="$(PULUMI_HOME="$ENGINE_DIR/home" PULUMI_SKIP_UPDATE_CHECK=1 "$WORK/pulumi" version 2>&1 || true)"
  [ "$v" = "$PULUMI_VERSION" ] || fail "the freshly built pulumi prints '$v' for 'pulumi version', not $PULUMI_VERSION"
  mv -f "$WORK/pulumi" "$BIN/pulumi"
  stamp_of "$PULUMI_VERSION" "$TOOLS/pulumi" >"$ENGINE_DIR/pulumi.stamp"
fi

# The language host. A version past v3.68.0 lives in its own module whose go.mod requires pkg/v3 at the placeholder
# v3.0.0-00010101000000-000000000000 that only the pulumi repository's local replace resolves: the tools module
# replaces that placeholder with the release, repeats pkg's clipboard replace, and is created (and pinned) once.
create_host_module() {
  local dir="$HOST_MODULE_DIR" tmp="$WORK/host-module" refs ref ok=""
  log "creating $dir (resolves versions through the Go module proxy and the checksum database, once)"
  mkdir -p "$tmp"
  cat >"$tmp/tools.go" <<EOF
//go:build tools

// Package tools pins the Node.js language host $LANGUAGE_HOST_VERSION; scripts/pulumi-engine.sh builds it.
package tools

import _ "$HOST_PACKAGE"
EOF
  refs="$LANGUAGE_HOST_VERSION"
  if [ "$LANGUAGE_HOST_VERSION" = "v3.248.0" ]; then refs="$refs $PULUMI_RELEASE_COMMIT_v3_248_0"; fi
  (
    cd "$tmp"
    # Resolving new versions is the one step that must verify hashes against the checksum database.
    unset GOSUMDB
    export GOFLAGS="-mod=mod -buildvcs=false"
    "$GO" mod init "pulumi-winrm-proxy/tools/pulumi-language-nodejs-$LANGUAGE_HOST_VERSION"
    "$GO" mod edit \
      -require="github.com/pulumi/pulumi/sdk/v3@$LANGUAGE_HOST_VERSION" \
      -replace="github.com/pulumi/pulumi/pkg/v3@v3.0.0-00010101000000-000000000000=github.com/pulumi/pulumi/pkg/v3@$LANGUAGE_HOST_VERSION" \
      -replace="github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e"
    for ref in $refs; do
      if "$GO" get "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@$ref"; then ok=1; break; fi
      log "the module proxy did not serve the language host module at $ref"
    done
    [ -n "$ok" ] || exit 1
    "$GO" mod tidy
  ) || fail "cannot create the tools module for pulumi-language-nodejs $LANGUAGE_HOST_VERSION: the Go module proxy refused it (Go's error above). This is why LANGUAGE_HOST_VERSION is v3.68.0 (docs/pulumi-engine.md): set it back."
  mkdir -p "$dir"
  cp "$tmp/go.mod" "$tmp/go.sum" "$tmp/tools.go" "$dir/"
  log "created $dir: commit its go.mod, go.sum and tools.go"
}

if [ ! -f "$HOST_MODULE_DIR/go.mod" ]; then create_host_module; fi
if [ ! -x "$BIN/pulumi-language-nodejs" ] ||
  [ "$(cat "$ENGINE_DIR/pulumi-language-nodejs.stamp" 2>/dev/null)" != "$(stamp_of "$LANGUAGE_HOST_VERSION" "$HOST_MODULE_DIR")" ]; then
  go_build "$HOST_MODULE_DIR" "$HOST_PACKAGE" "$LANGUAGE_HOST_VERSION" pulumi-language-nodejs
  mv -f "$WORK/pulumi-language-nodejs" "$BIN/pulumi-language-nodejs"
  stamp_of "$LANGUAGE_HOST_VERSION" "$HOST_MODULE_DIR" >"$ENGINE_DIR/pulumi-language-nodejs.stamp"
fi

# The YAML language host (pulumi-yaml's own go.mod has no replace directives, so its tools module is plain).
if [ ! -x "$BIN/pulumi-language-yaml" ] ||
  [ "$(cat "$ENGINE_DIR/pulumi-language-yaml.stamp" 2>/dev/null)" != "$(stamp_of "$YAML_VERSION" "$YAML_MODULE_DIR")" ]; then
  go_build "$YAML_MODULE_DIR" "$YAML_PACKAGE" "$YAML_VERSION" pulumi-language-yaml "$YAML_VERSION_VAR"
  mv -f "$WORK/pulumi-language-yaml" "$BIN/pulumi-language-yaml"
  stamp_of "$YAML_VERSION" "$YAML_MODULE_DIR" >"$ENGINE_DIR/pulumi-language-yaml.stamp"
fi

# The Go language host (sdk/v3's version variable, like the CLI's).
if [ ! -x "$BIN/pulumi-language-go" ] ||
  [ "$(cat "$ENGINE_DIR/pulumi-language-go.stamp" 2>/dev/null)" != "$(stamp_of "$GOHOST_VERSION" "$GOHOST_MODULE_DIR")" ]; then
  go_build "$GOHOST_MODULE_DIR" "$GOHOST_PACKAGE" "$GOHOST_VERSION" pulumi-language-go
  mv -f "$WORK/pulumi-language-go" "$BIN/pulumi-language-go"
  stamp_of "$GOHOST_VERSION" "$GOHOST_MODULE_DIR" >"$ENGINE_DIR/pulumi-language-go.stamp"
fi

# The dynamic-provider launcher: the engine looks up the plugin `pulumi-resource-pulumi-nodejs` next to itself / on PATH.
printf '%s\n' "$LAUNCHER_TEXT" >"$WORK/launcher"
chmod 755 "$WORK/launcher"
mv -f "$WORK/launcher" "$BIN/pulumi-resource-pulumi-nodejs"

why="$(staleness)"
[ -z "$why" ] || fail "after the build: $why"
log "pulumi $PULUMI_VERSION + pulumi-language-nodejs $LANGUAGE_HOST_VERSION + pulumi-language-yaml $YAML_VERSION + pulumi-language-go $GOHOST_VERSION ready in $BIN"
echo "$BIN"
