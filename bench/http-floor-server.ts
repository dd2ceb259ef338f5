/**
 * A floor for `npm run bench:http-floor`: answers `{ __typename }` as
 * node:http alone (HTTP_FLOOR=http: reads the body, parses the JSON, writes
 * the answer), as @whatwg-node/server's adapter (Yoga's HTTP layer) around
 * a handler that reads the JSON and answers (adapter), as a bare graphql-yoga with a one-field schema (yoga), or as a
 * bare graphql-yoga with the store's schema (schema). Prints its url.
 */
import http from 'node:http';

const kind = process.env.HTTP_FLOOR ?? 'yoga';
let handler: http.RequestListener;
if (kind === 'http') {
  handler = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString());
      const body = JSON.stringify({ data: { __typename: 'Query' } });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  };
} else if (kind === 'adapter') {
  const { createServerAdapter } = await import('@whatwg-node/server');
  handler = createServerAdapter(async (request: Request) => {
    await request.json();
    return new Response(JSON.stringify({ data: { __typename: 'Query' } }), { headers: { 'content-type': 'application/json' } });
  }) as unknown as http.RequestListener;
} else {
  const { createYoga, createSchema } = await import('graphql-yoga');
  const schema = kind === 'schema' ? (await import('../src/graphql/schema.js')).schema : createSchema({ typeDefs: 'type Query { hello: String }' });
  handler = createYoga({ schema, logging: false, landingPage: false, context: () => ({}) }) as unknown as http.RequestListener;
}
const server = http.createServer(handler);
server.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${(server.address() as { port: number }).port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
