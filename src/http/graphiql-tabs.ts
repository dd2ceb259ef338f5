/**
 * The example tabs GraphiQL opens with (until a visitor's own tabs are saved
 * in the browser): the common tasks, in the order a publisher meets them.
 * Each is a named operation (the name is the tab's title) with variables that
 * work against the sample charm of docs/api.md; a test validates every one
 * against the schema.
 */
export interface GraphiQLTab {
  query: string;
  variables?: string;
}

const variables = (value: Record<string, unknown>) => JSON.stringify(value, null, 2);

export const GRAPHIQL_TABS: GraphiQLTab[] = [
  {
    query: `# Welcome to the charm store. Sign in here, then put the token in the
# Headers tab below: {"Authorization": "Bearer <token>"}. The other tabs
# are the common tasks; docs/api.md in the repository explains them all.
mutation SignIn($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on LoginSuccess { token viewer { user { username isAdmin } expiresAt } }
    ... on Error { message }
  }
}
`,
    variables: variables({ input: { username: 'admin', password: 'your password' } }),
  },
  {
    query: `# Who the Authorization header says you are (anonymous without one).
query WhoAmI {
  viewer {
    user { username isAdmin }
    groups { name }
    expiresAt
  }
}
`,
  },
  {
    query: `# GraphiQL cannot send files: upload the archive with curl first,
#   curl -s http://127.0.0.1:4000/uploads -H "authorization: Bearer $TOKEN" --data-binary @hello.zip
# (or push it in one multipart request: see "Pushing" in docs/api.md),
# then push the uploadId it answers. No url: ~you/<name in metadata.yaml>.
mutation Push($input: PushInput!) {
  push(input: $input) {
    __typename
    ... on PushSuccess { duplicate revision { url number sha384 size downloadUrl } }
    ... on Error { message }
  }
}
`,
    variables: variables({ input: { uploadId: 'upl_paste-the-uploadId-here' } }),
  },
  {
    query: `# Points channels at a revision, with the resource revisions deploys get
# (resources left out get their newest revision). All channels or none.
mutation Release($input: ReleaseInput!) {
  release(input: $input) {
    __typename
    ... on ReleaseSuccess { releases { channel revision { url } resources { name revision } } }
    ... on Error { message }
  }
}
`,
    variables: variables({
      input: { url: 'cs:~kirk/hello', revision: 0, channels: ['stable', 'edge'], resources: [{ name: 'site-config', revision: 0 }] },
    }),
  },
  {
    query: `# What a deploy (or a refresh from currentRevision) gets from a channel,
# after falling back to more stable risks; anonymous callers too.
query Resolve($url: String!, $channel: String, $currentRevision: Int) {
  resolve(url: $url, channel: $channel, currentRevision: $currentRevision) {
    __typename
    ... on Resolution {
      revision { url downloadUrl }
      channel
      requestedChannel
      action
      resources { name revision downloadUrl }
    }
    ... on Error { message }
  }
}
`,
    variables: variables({ url: 'cs:~kirk/hello', channel: 'stable', currentRevision: 0 }),
  },
  {
    query: `# A dashboard: the channel map of many charms in one request (the same
# number of SQL statements for 100 entities as for 5). Page with after: endCursor.
query ChannelMaps($owner: String, $after: String) {
  entities(owner: $owner, first: 100, after: $after) {
    edges {
      node {
        url
        latestRevision { number }
        channelMap { name closed follows revision { number } effectiveRevision { number } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`,
    variables: variables({ owner: 'kirk' }),
  },
  {
    query: `# Shares an entity: adds principals (users, groups, or "everyone") to the
# read (default) or write list of a channel ("stable" by default).
mutation Grant($input: AclChangeInput!) {
  grant(input: $input) {
    __typename
    ... on GrantSuccess { entity { url acl { channel read write } } }
    ... on Error { message }
  }
}
`,
    variables: variables({ input: { url: 'cs:~kirk/hello', channel: 'stable', acl: 'READ', principals: ['everyone'] } }),
  },
];
