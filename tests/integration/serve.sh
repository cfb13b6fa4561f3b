#!/usr/bin/env bash
# scripts/serve with a real nginx on loopback: cache headers, a 304 for an
# unchanged manifest, uploads by PUT with the device's own token only.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/milepost-serve-test.XXXXXX)
serve_pid=
cleanup() {
  local rc=$?
  if [[ -n $serve_pid ]]; then
    kill "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

object=$(printf 'media' | sha256sum | cut -d' ' -f1)
mkdir -p "$work/site/channels/trucking" "$work/site/objects"
printf '{"schema": 1}\n' >"$work/site/channels/trucking/manifest.json"
printf 'media' >"$work/site/objects/$object"
printf '"Bearer secret-one:us-tx-1" 1;\n"Bearer secret-two:ca-on-2" 1;\n' >"$work/tokens.map"

port=$((20000 + RANDOM % 20000))
TOKENS=$work/tokens.map INGEST=$work/ingest "$root/scripts/serve" "$work/site" "$port" >"$work/serve.log" 2>&1 &
serve_pid=$!
url=http://127.0.0.1:$port
for _ in $(seq 50); do
  curl -fs -o /dev/null "$url/channels/trucking/manifest.json" && break
  sleep 0.1
done

headers=$(curl -fsS -D - -o /dev/null "$url/channels/trucking/manifest.json") || fail "no manifest: $(cat "$work/serve.log")"
grep -qi '^cache-control: no-cache' <<<"$headers" || fail "manifest without Cache-Control: no-cache: $headers"
etag=$(grep -i '^etag:' <<<"$headers" | cut -d' ' -f2 | tr -d '\r')
[[ -n $etag ]] || fail "manifest without ETag"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$url/channels/trucking/manifest.json")
[[ $code == 304 ]] || fail "unchanged manifest gave $code, not 304"

headers=$(curl -fsS -D - -o /dev/null "$url/objects/$object")
grep -qi '^cache-control: public, max-age=31536000, immutable' <<<"$headers" || fail "object not immutable: $headers"

put() { curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary "$2" -H "Authorization: Bearer $3" "$url/ingest/$1"; }
code=$(put us-tx-1/plays/1-2.ndjson '{"id":1}' secret-one)
[[ $code == 201 || $code == 204 ]] || fail "PUT with the device's token gave $code"
[[ $(cat "$work/ingest/us-tx-1/plays/1-2.ndjson") == '{"id":1}' ]] || fail "the upload did not land"
code=$(put us-tx-1/plays/1-2.ndjson '{"id":1}' secret-one)
[[ $code == 201 || $code == 204 ]] || fail "a repeated PUT (a retry) gave $code"
code=$(put us-tx-1/status.json '{}' wrong)
[[ $code == 401 ]] || fail "PUT with a wrong token gave $code, not 401"
code=$(put ca-on-2/status.json '{}' secret-one)
[[ $code == 401 ]] || fail "PUT into another device's folder gave $code, not 401"
[[ ! -e $work/ingest/ca-on-2 ]] || fail "a refused upload left a folder"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer secret-one" "$url/ingest/us-tx-1/plays/1-2.ndjson")
[[ $code == 403 ]] || fail "GET of an upload gave $code, not 403"
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/../etc/passwd")
[[ $code == 400 || $code == 404 ]] || fail "a path out of the site gave $code"
echo "serve: every check passed"
