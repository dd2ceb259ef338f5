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

# gql, upload, expect and show: see examples/store-api.sh.
source "$EXAMPLES/store-api.sh"

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
