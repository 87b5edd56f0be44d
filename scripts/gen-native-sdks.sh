#!/usr/bin/env bash
# Generates the native provider's SDKs (Node.js, Python, Go) from its package schema with the Pulumi CLI's own code
# generators, and checks that each builds, without any package registry (docs/native-provider.md):
#   - tools/pulumi-codegen (pkg/v3/codegen at the CLI's version) is built once into the engine cache;
#   - the schema is the one the plugin serves (dist/provider/src/native/schema.js), validated against the metaschema;
#   - nodejs: compiled with this repository's TypeScript against its @pulumi/pulumi (node_modules linked);
#   - python: byte-compiled (/usr/bin/python3 -m compileall: syntax; the Pulumi Python SDK is not installed here);
#   - go: `go build ./...` against github.com/pulumi/pulumi/sdk/v3 v3.248.0, pinned by tools/pulumi-codegen/go-sdk.go.sum
#     (modules from the Go module cache, or the Go module proxy).
#
# Usage: scripts/gen-native-sdks.sh <out dir> [nodejs] [python] [go]     (default: all three)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fail() {
  echo "gen-native-sdks: ERROR: $*" >&2
  exit 1
}
log() { echo "gen-native-sdks: $*" >&2; }

OUT="${1:-}"
[ -n "$OUT" ] || fail "usage: scripts/gen-native-sdks.sh <out dir> [nodejs] [python] [go]"
shift
LANGS=("$@")
[ ${#LANGS[@]} -gt 0 ] || LANGS=(nodejs python go)
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

GO="${GO:-$(command -v go || true)}"
[ -n "$GO" ] || GO=/usr/local/go/bin/go
[ -x "$GO" ] || fail "Go is needed for the code generators and was not found"
export GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" GOSUMDB=off

[ -f "$ROOT/dist/provider/src/native/schema.js" ] || fail "build the package first (npm run build)"
ENGINE_DIR="$(dirname "$(bash "$ROOT/scripts/pulumi-engine.sh" --bin-dir)")"
CODEGEN_DIR="$ROOT/tools/pulumi-codegen"
STAMP="$(cat "$CODEGEN_DIR/go.mod" "$CODEGEN_DIR/go.sum" "$CODEGEN_DIR/main.go" | sha256sum | cut -d' ' -f1)"
CODEGEN="$ENGINE_DIR/codegen-$STAMP/pulumi-codegen"
if [ ! -x "$CODEGEN" ]; then
  log "building tools/pulumi-codegen (pulumi pkg/v3 codegen; minutes on a cold Go cache)"
  started=$SECONDS
  mkdir -p "$(dirname "$CODEGEN")"
  (cd "$CODEGEN_DIR" && "$GO" build -o "$CODEGEN.tmp" .) || fail "building tools/pulumi-codegen failed (Go's error above)"
  mv -f "$CODEGEN.tmp" "$CODEGEN"
  log "built pulumi-codegen in $((SECONDS - started)) s"
fi

SCHEMA="$OUT/schema.json"
VERSION="$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).version)' "$ROOT/package.json")"
node --input-type=module -e "
  const { packageSchema } = await import(process.argv[1]);
  process.stdout.write(JSON.stringify(packageSchema(process.argv[2]), null, 2));
" "$ROOT/dist/provider/src/native/schema.js" "$VERSION" >"$SCHEMA"
rm -rf "${LANGS[@]/#/$OUT/}"
"$CODEGEN" "$SCHEMA" "$OUT" "${LANGS[@]}"

for lang in "${LANGS[@]}"; do
  started=$SECONDS
  case "$lang" in
    nodejs)
      ln -sfn "$ROOT/node_modules" "$OUT/nodejs/node_modules"
      (cd "$OUT/nodejs" && node "$ROOT/node_modules/typescript/bin/tsc" -p tsconfig.json) || fail "the Node.js SDK does not compile"
      # The package to install is bin/ (what Pulumi's provider builds publish): its package.json with the version
      # (the language host asks for the plugin of that version), beside the compiled code.
      sed "s/\${VERSION}/$VERSION/g" "$OUT/nodejs/package.json" >"$OUT/nodejs/bin/package.json"
      [ ! -f "$OUT/nodejs/README.md" ] || cp "$OUT/nodejs/README.md" "$OUT/nodejs/bin/README.md"
      ;;
    python)
      /usr/bin/python3 -m compileall -q "$OUT/python" >/dev/null || fail "the Python SDK does not byte-compile"
      ;;
    go)
      # go-sdk.go.mod / go-sdk.go.sum: the SDK module's requirements (sdk/v3 v3.248.0 and its graph, as `go mod tidy`
      # resolved them once); -mod=readonly: the build never changes them.
      cp "$CODEGEN_DIR/go-sdk.go.mod" "$OUT/go/go.mod"
      cp "$CODEGEN_DIR/go-sdk.go.sum" "$OUT/go/go.sum"
      (cd "$OUT/go" && "$GO" build ./...) || fail "the Go SDK does not build"
      ;;
  esac
  log "$lang: generated and built in $OUT/$lang ($((SECONDS - started)) s)"
done
