// Runs the graphql-http package's server audit (the GraphQL over HTTP spec's checks)
// against URL and prints one JSON line per audit: {id, name, status, reason}.
// Usage: node graphql_http_audit.mjs URL MODULES_DIR (a folder holding node_modules/graphql-http)
import { createRequire } from 'node:module';
import path from 'node:path';

const [url, modules] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(modules), 'index.js'));
const { auditServer } = require('graphql-http');

const results = await auditServer({ url });
for (const result of results) {
  const { id, name, status } = result;
  const reason = status === 'ok' ? '' : String(result.reason ?? '');
  console.log(JSON.stringify({ id, name, status, reason }));
}
