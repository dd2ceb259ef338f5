// The live channel-map page: plain JavaScript on the public GraphQL API only
// (a reference for dashboard authors; docs/live.md shows its queries).
'use strict';

const RISKS = ['stable', 'candidate', 'beta', 'edge'];
const ENDPOINT = '/graphql';

const CHANNEL_FIELDS = 'name track risk branch closed follows revision { number } effectiveRevision { number }';
const CHARM_QUERY = `query Charm($url: String!) {
  entity(url: $url) {
    url
    tracks { name isDefault }
    channelMap { ${CHANNEL_FIELDS} history(first: 5) { edges { node { channel action revision { number } releasedAt releasedBy } } } }
  }
}`;
const SEARCH_QUERY = `query Search($query: String) {
  entities(query: $query, first: 20) { edges { node { url latestRevision { summary } } } }
}`;
const CHANGES_SUBSCRIPTION = `subscription Changes($urls: [String!]!, $after: ID) {
  entityChanged(urls: $urls, after: $after) { eventId kind }
}`;

const $ = (id) => document.getElementById(id);

function headers() {
  const token = $('token').value.trim() || localStorage.getItem('charmstore-token') || '';
  const result = { 'content-type': 'application/json' };
  if (token) result.authorization = `Bearer ${token}`;
  return result;
}

async function graphql(query, variables) {
  const response = await fetch(ENDPOINT, { method: 'POST', headers: headers(), body: JSON.stringify({ query, variables }) });
  const body = await response.json();
  if (body.errors) throw new Error(body.errors.map((error) => error.message).join('; '));
  return body.data;
}

function text(tag, content, attributes = {}) {
  const element = document.createElement(tag);
  element.textContent = content;
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

// ---- search ---------------------------------------------------------------

let searchTimer;
$('search').addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(search, 250);
});

async function search() {
  const query = $('search').value.trim();
  const list = document.createElement('ul');
  try {
    const data = await graphql(SEARCH_QUERY, { query: query || null });
    for (const { node } of data.entities.edges) {
      const item = document.createElement('li');
      const link = text('a', node.url, { href: `#${encodeURIComponent(node.url)}` });
      item.append(link, text('span', ` ${node.latestRevision?.summary ?? ''}`, { class: 'muted' }));
      list.append(item);
    }
    if (data.entities.edges.length === 0) list.append(text('li', 'Nothing found.', { class: 'muted' }));
  } catch (error) {
    list.append(text('li', error.message));
  }
  $('results').replaceChildren(list);
}

// ---- the charm page -------------------------------------------------------

let live = null;

function renderChannelMap(entity) {
  const byName = new Map(entity.channelMap.map((channel) => [channel.name, channel]));
  const previous = new Map([...$('channel-map').querySelectorAll('td[data-channel]')].map((cell) => [cell.dataset.channel, cell.textContent]));
  const table = document.createDocumentFragment();
  const head = document.createElement('tr');
  head.append(text('th', 'track'), ...RISKS.map((risk) => text('th', risk)));
  table.append(head);
  for (const track of entity.tracks) {
    const row = document.createElement('tr');
    row.append(text('th', track.isDefault ? `${track.name} (default)` : track.name));
    for (const risk of RISKS) {
      const name = `${track.name}/${risk}`;
      const channel = byName.get(name);
      let content = '–';
      let css = '';
      if (channel && channel.revision && !channel.closed) content = String(channel.revision.number);
      else if (channel && channel.effectiveRevision) {
        content = `↑ ${channel.effectiveRevision.number}`;
        css = 'follows';
      }
      const cell = text('td', content, { 'data-channel': name, title: channel?.follows ? `follows ${channel.follows}` : name });
      if (css) cell.classList.add(css);
      if (previous.has(name) && previous.get(name) !== content) cell.classList.add('changed');
      row.append(cell);
    }
    table.append(row);
  }
  $('channel-map').replaceChildren(table);

  const branches = entity.channelMap.filter((channel) => channel.branch);
  $('branches').replaceChildren(
    ...branches.map((channel) => text('p', `${channel.name}: ${channel.closed ? 'closed' : channel.revision ? `revision ${channel.revision.number}` : '–'}`, { 'data-channel': channel.name })),
  );

  const history = entity.channelMap
    .flatMap((channel) => channel.history.edges.map((edge) => edge.node))
    .sort((a, b) => b.releasedAt.localeCompare(a.releasedAt))
    .slice(0, 20);
  $('history').replaceChildren(
    ...history.map((entry) =>
      text('li', `${entry.releasedAt.replace('T', ' ').slice(0, 19)} ${entry.releasedBy} ${entry.action === 'RELEASE' ? `released ${entry.revision?.number} to` : 'closed'} ${entry.channel}`),
    ),
  );
}

async function showCharm(url) {
  live?.abort();
  $('results').replaceChildren();
  $('charm').hidden = false;
  $('charm-url').textContent = url;
  const load = async () => {
    const data = await graphql(CHARM_QUERY, { url });
    if (!data.entity) throw new Error(`${url} does not exist or is not visible to you`);
    renderChannelMap(data.entity);
  };
  try {
    await load();
  } catch (error) {
    $('status').textContent = error.message;
    return;
  }
  live = new AbortController();
  follow(url, live.signal, load);
}

/**
 * GraphQL over Server-Sent Events with fetch (unlike EventSource, it can send
 * the Authorization header): each `next` event says what changed; the page
 * then reads the channel map again. After a drop it resumes with `after`
 * set to the last event id, so no change is missed.
 */
async function follow(url, signal, reload) {
  let lastEventId = null;
  let backoff = 500;
  while (!signal.aborted) {
    try {
      const response = await fetch(ENDPOINT, {
        method: 'POST',
        headers: { ...headers(), accept: 'text/event-stream' },
        body: JSON.stringify({ query: CHANGES_SUBSCRIPTION, variables: { urls: [url], after: lastEventId } }),
        signal,
      });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      $('status').textContent = 'live';
      $('status').className = 'live';
      backoff = 500;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = block.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).join('\n');
          if (event !== 'next' || !data) continue;
          const payload = JSON.parse(data);
          if (payload.errors) throw new Error(payload.errors[0].message);
          lastEventId = payload.data.entityChanged.eventId;
          await reload();
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      $('status').textContent = `reconnecting (${error.message})…`;
      $('status').className = '';
    }
    await new Promise((resolve) => setTimeout(resolve, backoff));
    backoff = Math.min(backoff * 2, 10_000);
  }
}

// ---- routing: #<url> shows a charm, nothing shows the search ----------------

function route() {
  const url = decodeURIComponent(location.hash.slice(1));
  if (url) showCharm(url);
  else {
    live?.abort();
    $('charm').hidden = true;
    search();
  }
}
$('token').addEventListener('change', () => {
  localStorage.setItem('charmstore-token', $('token').value.trim());
  route();
});
window.addEventListener('hashchange', route);
route();
