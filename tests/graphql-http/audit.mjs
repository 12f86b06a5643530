// The GraphQL-over-HTTP audit suite (npm `graphql-http`, `serverAudits`)
// against a running server: `node audit.mjs http://127.0.0.1:8080/graphql`.
// Prints every audit's result and the MUST/SHOULD scores; exits 1 unless
// every MUST and every SHOULD passes (MAY audits are reported, not required).
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql url>');
  process.exit(2);
}

const results = await Promise.all(serverAudits({ url }).map(({ fn }) => fn()));
const score = { MUST: [0, 0], SHOULD: [0, 0], MAY: [0, 0] };
for (const r of results) {
  const level = r.name.split(' ')[0];
  score[level][1] += 1;
  if (r.status === 'ok') score[level][0] += 1;
  const mark = r.status === 'ok' ? 'ok  ' : r.status.padEnd(4);
  console.log(`${mark} ${r.id} ${r.name}${r.status === 'ok' ? '' : ` -- ${r.reason}`}`);
}
for (const [level, [passed, total]] of Object.entries(score)) {
  console.log(`${level} ${passed}/${total}`);
}
const required = ['MUST', 'SHOULD'];
process.exit(required.every((l) => score[l][0] === score[l][1]) ? 0 : 1);
