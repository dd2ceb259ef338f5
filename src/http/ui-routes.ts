import { readFileSync } from 'node:fs';
import type { Plugin } from 'graphql-yoga';

/**
 * The live channel-map page (/ui/): two static files, plain HTML and
 * JavaScript with no build step and nothing fetched from elsewhere, so it
 * works offline. It uses only the public GraphQL API.
 */
const FILES: Record<string, { type: string; file: string }> = {
  '/ui/': { type: 'text/html; charset=utf-8', file: 'index.html' },
  '/ui/index.html': { type: 'text/html; charset=utf-8', file: 'index.html' },
  '/ui/live.js': { type: 'text/javascript; charset=utf-8', file: 'live.js' },
};

export function uiRoutes(): Plugin {
  const cache = new Map<string, string>();
  const read = (file: string) => {
    let content = cache.get(file);
    if (content === undefined) {
      content = readFileSync(new URL(`./ui/${file}`, import.meta.url), 'utf8');
      cache.set(file, content);
    }
    return content;
  };
  return {
    onRequest({ url, request, endResponse }) {
      if (url.pathname === '/ui') {
        endResponse(new Response(null, { status: 308, headers: { location: '/ui/' } }));
        return;
      }
      const served = FILES[url.pathname];
      if (!served || (request.method !== 'GET' && request.method !== 'HEAD')) return;
      endResponse(
        new Response(request.method === 'HEAD' ? null : read(served.file), {
          headers: { 'content-type': served.type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' },
        }),
      );
    },
  };
}
