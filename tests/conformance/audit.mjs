// The GraphQL-over-HTTP working group's audit suite (graphql-http's auditServer) against a live
// server: `node audit.mjs http://127.0.0.1:PORT/graphql`. Every audit must pass, MUST and SHOULD
// alike; each one that does not is printed with its id, its name and the reason, and the exit
// code is 1.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}
const results = await auditServer({ url });
const failed = results.filter((result) => result.status !== 'ok');
for (const result of results) {
  const line = `${result.status.padEnd(5)} ${result.id} ${result.name}`;
  console.log(result.status === 'ok' ? line : `${line}\n      ${result.reason}`);
}
console.log(`${results.length - failed.length} of ${results.length} audits passed`);
process.exit(failed.length === 0 ? 0 : 1);
