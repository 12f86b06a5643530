#!/usr/bin/env bash
# Vendors the GraphiQL playground's assets from the npm registry into this
# directory, pinned, so /graphiql works on an isolated network (no CDN).
# Usage: src/http/graphiql/update.sh [graphiql-version] [react-version]
# Then review `git diff --stat`, run the tests (http::the_playground_*), and
# commit the files with VERSIONS (the versions and SHA-256 of each file).
# GraphiQL 4 and later ship no browser (UMD) build: stay on 3.x until the
# playground moves to an ES-module build.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
graphiql="${1:-3.8.3}"
react="${2:-18.3.1}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "graphiql@$graphiql" "react@$react" "react-dom@$react" >/dev/null
for p in "graphiql-$graphiql" "react-$react" "react-dom-$react"; do
  mkdir "${p%-*}"
  tar xzf "$p.tgz" -C "${p%-*}"
done
cp graphiql/package/graphiql.min.js "$here/graphiql.min.js"
cp graphiql/package/graphiql.min.css "$here/graphiql.min.css"
cp react/package/umd/react.production.min.js "$here/react.production.min.js"
cp react-dom/package/umd/react-dom.production.min.js "$here/react-dom.production.min.js"
cp graphiql/package/LICENSE "$here/LICENSE.graphiql"
cp react/package/LICENSE "$here/LICENSE.react"
{
  echo "graphiql $graphiql, react $react, react-dom $react (npm registry)"
  (cd "$here" && sha256sum graphiql.min.js graphiql.min.css react.production.min.js react-dom.production.min.js)
} > "$here/VERSIONS"
echo "vendored graphiql $graphiql and react $react into $here"
