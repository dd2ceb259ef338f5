# Helpers for talking to the store from bash, used by examples/publish.sh:
#   source examples/store-api.sh
# They read STORE (the store's address) and TOKEN (a bearer token, or empty
# for anonymous). Needs curl and node (for JSON).

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
# with FILE as the variable $file. Multipart requests need a CSRF header
# (docs/security.md#cors-and-csrf).
upload() {
  curl -sS "$STORE/graphql" ${TOKEN:+-H "authorization: Bearer $TOKEN"} -H 'x-graphql-yoga-csrf: 1' \
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
