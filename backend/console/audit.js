// The audit trail: sign-ins, failures, step-ups, revocations and changes, newest first.

import { gql } from './api.js';
import { failure, fill, h, heading, table, when } from './ui.js';

const PAGE = 50;

export async function render(view) {
  const events = [];
  const list = h('div', { 'aria-live': 'polite' });
  let after = null;
  async function more() {
    const { auditEvents } = await gql(
      'query Audit($first: Int, $after: String) { auditEvents(first: $first, after: $after) { nodes { id kind detail ip accountId createdAt } pageInfo { hasNextPage endCursor } } }',
      { first: PAGE, after },
    );
    events.push(...auditEvents.nodes);
    after = auditEvents.pageInfo.hasNextPage ? auditEvents.pageInfo.endCursor : null;
    fill(
      list,
      table(
        [
          ['When', (e) => when(e.createdAt)],
          ['Event', (e) => h('code', {}, e.kind)],
          ['Detail', (e) => e.detail],
          ['IP', (e) => e.ip ?? '—'],
        ],
        events,
        'No events yet. Sign-ins, step-ups and revocations appear here.',
      ),
      after ? h('button', { type: 'button', onclick: () => more().catch((error) => list.append(failure(error))) }, 'Load older events') : null,
    );
  }
  await more();
  fill(view, heading('Audit', 'Security events of this tenant, newest first.'), list);
}
