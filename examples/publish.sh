#!/usr/bin/env bash
# Publishes the sample charm and bundle, end to end, on a running store:
#   STORE_ADMIN_USERNAME=admin STORE_ADMIN_PASSWORD='change-me-please' npm start
#   bash examples/publish.sh
# Needs bash, curl and node. Settings: STORE (the store's address),
# ADMIN_USERNAME and ADMIN_PASSWORD (an admin's), PUBLISHER and
# PUBLISHER_PASSWORD (the user it creates). Safe to run again: the same
# archives are duplicates of the revisions already pushed.
set -euo pipefail
STORE=${STORE:-http://127.0.0.1:4000}
ADMIN_USERNAME=${ADMIN_USERNAME:-admin}
ADMIN_PASSWORD=${ADMIN_PASSWORD:-change-me-please}
PUBLISHER=${PUBLISHER:-kirk}
PUBLISHER_PASSWORD=${PUBLISHER_PASSWORD:-enterprise-1701}
EXAMPLES=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d) && trap 'rm -rf "$WORK"' EXIT
TOKEN=

# request QUERY [NAME=STRING | NAME:=JSON]...: a GraphQL request as JSON.
request() {
  node -e '
    const [query, ...pairs] = process.argv.slice(1), variables = {};
    for (const pair of pairs) {
      const [, name, json, value] = pair.match(/^([^:=]+)(:?)=(.*)$/s);
      variables[name] = json ? JSON.parse(value) : value;
    }
    console.log(JSON.stringify({ query, variables }));' "$@"
}

# gql QUERY [VARIABLE]...: sends it (as $TOKEN, if set) and prints the answer.
gql() {
  curl -sS "$STORE/graphql" ${TOKEN:+-H "authorization: Bearer $TOKEN"} \
    -H 'content-type: application/json' --data-binary "$(request "$@")"
}

# upload QUERY FILE [VARIABLE]...: the same as a GraphQL multipart request,
# with FILE as the variable $file.
upload() {
  curl -sS "$STORE/graphql" ${TOKEN:+-H "authorization: Bearer $TOKEN"} \
    --form-string "operations=$(request "$1" file:=null "${@:3}")" \
    --form-string 'map={"0": ["variables.file"]}' -F "0=@$2"
}

# expect FIELD TYPES [PATH]...: reads an answer on stdin; when data.FIELD is
# one of TYPES (comma-separated) prints the values at the PATHs in it, else
# prints the error and fails.
expect() {
  node -e '
    const [field, types, ...paths] = process.argv.slice(1);
    const answer = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const result = answer.data?.[field];
    if (!result || !types.split(",").includes(result.__typename)) {
      const why = result?.message ?? answer.errors?.map((e) => e.message).join("; ") ?? JSON.stringify(answer);
      console.error(`${field}: ${result?.__typename ?? "failed"}: ${why}`);
      process.exit(1);
    }
    // A list is indexed by position or by the "name" of its items (resources.image).
    const step = (value, key) => Array.isArray(value) && !/^\d+$/.test(key) ? value.find((item) => item.name === key) : value?.[key];
    const at = (path) => path.split(".").reduce(step, result);
    console.log(paths.map(at).join(" "));' "$@"
}

# show: indents what the steps print.
show() { sed 's/^/   /'; }

LOGIN='mutation($username: String!, $password: String!) {
  login(input: { username: $username, password: $password }) {
    __typename ... on LoginSuccess { token } ... on Error { message } } }'
PUSH='mutation($file: File!) {
  push(input: { archive: $file }) {
    __typename ... on PushSuccess { revision { url } } ... on Error { message } } }'
PUSH_RESOURCE='mutation($url: String!, $name: String!, $file: File!) {
  pushResource(input: { url: $url, name: $name, file: $file }) {
    __typename ... on PushResourceSuccess { resourceRevision { name revision } } ... on Error { message } } }'
RELEASE='mutation($url: String!) {
  release(input: { url: $url, channels: ["stable"] }) {
    __typename ... on ReleaseSuccess { releases { channel revision { url } } } ... on Error { message } } }'
GRANT='mutation($url: String!) {
  grant(input: { url: $url, channel: "stable", principals: ["everyone"] }) {
    __typename ... on GrantSuccess { entity { url } } ... on Error { message } } }'
RESOLVE='query($url: String!) {
  resolve(url: $url, channel: "stable") {
    __typename ... on Resolution { revision { url downloadUrl } resources { name downloadUrl } }
    ... on Error { message } } }'

echo "1. sign in as $ADMIN_USERNAME and create the user $PUBLISHER (if missing)"
TOKEN=$(gql "$LOGIN" username="$ADMIN_USERNAME" password="$ADMIN_PASSWORD" | expect login LoginSuccess token)
gql 'mutation($username: String!, $password: String!) {
  createUser(input: { username: $username, password: $password }) {
    __typename ... on CreateUserSuccess { user { username } } ... on Error { message } } }' \
  username="$PUBLISHER" password="$PUBLISHER_PASSWORD" | expect createUser CreateUserSuccess,ConflictError __typename | show

echo "2. sign in as $PUBLISHER: everything below is theirs"
TOKEN=$(gql "$LOGIN" username="$PUBLISHER" password="$PUBLISHER_PASSWORD" | expect login LoginSuccess token)

echo "3. push the sample charm, then its file and oci-image resources"
node "$EXAMPLES/zip.mjs" "$EXAMPLES/charms/hello" "$WORK/hello.zip"
CHARM=$(upload "$PUSH" "$WORK/hello.zip" | expect push PushSuccess revision.url)
echo "   pushed $CHARM"
upload "$PUSH_RESOURCE" "$EXAMPLES/resources/site.yaml" url="cs:~$PUBLISHER/hello" name=site-config \
  | expect pushResource PushResourceSuccess resourceRevision.name resourceRevision.revision | show
upload "$PUSH_RESOURCE" "$EXAMPLES/resources/image.json" url="cs:~$PUBLISHER/hello" name=image \
  | expect pushResource PushResourceSuccess resourceRevision.name resourceRevision.revision | show

echo "4. push the sample bundle"
node "$EXAMPLES/zip.mjs" "$EXAMPLES/bundles/hello-world" "$WORK/hello-world.zip"
BUNDLE=$(upload "$PUSH" "$WORK/hello-world.zip" | expect push PushSuccess revision.url)
echo "   pushed $BUNDLE"

echo "5. release both to stable (the charm with the newest revision of each resource)"
for url in "$CHARM" "$BUNDLE"; do
  gql "$RELEASE" url="$url" | expect release ReleaseSuccess releases.0.channel releases.0.revision.url | show
done

echo "6. let everyone read both on stable"
for url in "cs:~$PUBLISHER/hello" "cs:~$PUBLISHER/bundle/hello-world"; do
  gql "$GRANT" url="$url" | expect grant GrantSuccess entity.url | show
done

echo "7. as anybody (no token): resolve the charm on stable, download it and its site-config"
TOKEN=
RESOLVED=$(gql "$RESOLVE" url="cs:~$PUBLISHER/hello" \
  | expect resolve Resolution revision.url revision.downloadUrl resources.site-config.downloadUrl)
read -r SERVED ARCHIVE RESOURCE <<< "$RESOLVED"
echo "   stable serves $SERVED"
curl -sS --fail -o "$WORK/downloaded.zip" "$STORE$ARCHIVE"
cmp "$WORK/hello.zip" "$WORK/downloaded.zip"
echo "   $ARCHIVE: the archive pushed"
curl -sS --fail -o "$WORK/site.yaml" "$STORE$RESOURCE"
cmp "$EXAMPLES/resources/site.yaml" "$WORK/site.yaml"
echo "   $RESOURCE: the resource pushed"
echo "done"
