#!/usr/bin/env bash
# The API against its own OpenAPI document: schemathesis (from PyPI) sends
# generated requests to a fresh `anju serve --demo` with a 专班 Bearer token
# and fails on any server error or any answer the document does not
# describe (status code, content type, schema, headers), or on a request
# outside the schema that is not refused.
#
#   scripts/api_check.sh BIN [EXAMPLES]      # EXAMPLES per operation, 30 by default
#
# Bounded: at most API_CHECK_SECONDS (600) for the run. Logging out and
# changing the token's own password are left out (they would end the run's
# session); everything else, reads and writes, is exercised.
set -euo pipefail
bin="${1:?usage: scripts/api_check.sh BIN [EXAMPLES]}"
examples="${2:-30}"
limit="${API_CHECK_SECONDS:-600}"

if ! command -v schemathesis >/dev/null 2>&1; then
  echo "installing schemathesis"
  python3 -m pip install -q "schemathesis>=4,<5" >/dev/null 2>&1 || python3 -m pip install -q "schemathesis>=4,<5"
fi
schemathesis --version

work="$(mktemp -d "${TMPDIR:-/tmp}/anju-api-check.XXXXXX")"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
"$bin" serve --demo --database "sqlite://$work/demo.db" --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 120); do
  curl -sf "$base/api/v1/health" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
  sleep 0.5
done
login() {
  curl -sf -X POST "$base/api/v1/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"anju-demo-2026\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}

cd "$work"
status=0
# Each role where it may act: the task force everywhere; then the three
# administrators on their own operations (the task force gets 403 there).
passes=("demo-zhuanban:" "demo-admin:^/api/v1/users" "demo-anquan:^/api/v1/security" "demo-shenji:^/api/v1/audit")
start=$SECONDS
for pass in "${passes[@]}"; do
  user="${pass%%:*}"
  only="${pass#*:}"
  token="$(login "$user")"
  left=$((limit - (SECONDS - start)))
  [ "$left" -gt 10 ] || { echo "api check: out of time before $user" >&2; status=1; break; }
  echo "== schemathesis as $user ${only:+(only $only)}"
  args=(-H "Authorization: Bearer $token" --max-examples "$examples"
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,negative_data_rejection
    --exclude-path /api/v1/logout --exclude-path /api/v1/me/password --no-color)
  if [ -n "$only" ]; then args+=(--include-path-regex "$only"); fi
  timeout "$left" schemathesis run "$base/api/v1/openapi.json" "${args[@]}" || status=$?
done
if grep -q "panicked" "$work/serve.log"; then
  echo "the server panicked:" >&2
  grep -A5 "panicked" "$work/serve.log" >&2
  status=1
fi
exit "$status"
