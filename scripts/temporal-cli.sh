#!/usr/bin/env bash
# Installs the Temporal CLI (whose `temporal server start-dev` is a complete
# Temporal server with SQLite persistence and the Web UI) from its Go module,
# at a pinned version, into the git-ignored .tools/ folder of the project.
#
#   bash scripts/temporal-cli.sh          # prints the binary's path on its last line
#
# v1.5.1 is pinned because it is the newest tag that `go install module@version`
# accepts: later tags carry a `replace` directive in their go.mod, which
# `go install` refuses. The build is skipped when that exact version's binary is
# already there (judged by `temporal --version`, not by the file's presence).
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${TEMPORAL_CLI_VERSION:-1.5.1}"
MODULE="github.com/temporalio/cli/cmd/temporal@v${VERSION}"
BIN_DIR="$PWD/.tools/temporal/v${VERSION}"
BIN="$BIN_DIR/temporal"

installed_version() {
  # `temporal --version` prints e.g. "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)".
  "$BIN" --version 2>/dev/null | sed -n 's/^temporal version \([^ ]*\).*/\1/p'
}

if [ -x "$BIN" ] && [ "$(installed_version)" = "$VERSION" ]; then
  echo "temporal-cli: $("$BIN" --version) already installed at $BIN (build skipped)" >&2
  echo "$BIN"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "temporal-cli: Go is not installed, so the Temporal CLI cannot be built (needs Go >= 1.23 and the Go module proxy)" >&2
  exit 1
fi

mkdir -p "$BIN_DIR"
echo "temporal-cli: building $MODULE with $(go version | cut -d' ' -f3) into $BIN_DIR (first build takes minutes)" >&2
start=$(date +%s)
# nice and one package at a time keep a shared 2-core machine usable meanwhile.
# The version is stamped as the project's release build does (goreleaser's ldflags);
# without it the binary calls itself 0.0.0-DEV and could not be told from another build.
GOBIN="$BIN_DIR" GOFLAGS="${GOFLAGS:--p=1} -buildvcs=false" CGO_ENABLED=0 \
  nice -n 10 go install -ldflags "-s -w -X github.com/temporalio/cli/temporalcli.Version=${VERSION}" "$MODULE" >&2
elapsed=$(( $(date +%s) - start ))

got="$(installed_version)"
if [ "$got" != "$VERSION" ]; then
  echo "temporal-cli: built $BIN but it reports version '${got}', expected ${VERSION}" >&2
  exit 1
fi
echo "temporal-cli: built $("$BIN" --version) in ${elapsed}s at $BIN" >&2
echo "$BIN"
