// The tenant at a glance: its hosts, keys, members and latest leads, each linking to its page.

import { gql } from './api.js';
import { fill, h, heading, table, when } from './ui.js';

export async function render(view, { viewer }) {
  const admin = viewer.role !== 'MEMBER';
  const data = await gql(`query Overview($admin: Boolean!) {
    domains @include(if: $admin) { host app kind verified }
    apiKeys @include(if: $admin) { id revokedAt }
    accounts @include(if: $admin) { id }
    leads(first: 5) { nodes { email app createdAt } pageInfo { hasNextPage } }
  }`, { admin });
  const cards = admin
    ? [
        card('Hosts', `${data.domains.filter((d) => d.verified).length} verified`, 'domains', 'Manage domains'),
        card('API keys', `${data.apiKeys.filter((k) => !k.revokedAt).length} active`, 'keys', 'Manage keys'),
        card('Members', `${data.accounts.length}`, 'members', 'Manage members'),
      ]
    : [];
  const hosts = admin
    ? [
        h('h2', {}, 'Hosts'),
        table(
          [
            ['Host', (d) => h('code', {}, d.host)],
            ['App', (d) => d.app],
            ['Kind', (d) => d.kind.toLowerCase()],
            ['Routes', (d) => (d.verified ? 'yes' : 'not yet verified')],
          ],
          data.domains,
          'No hosts. Ask an operator to provision the apps.',
        ),
      ]
    : [];
  fill(
    view,
    heading(viewer.tenant.name, `Tenant ${viewer.tenant.slug}. You are ${viewer.role.toLowerCase()}.`),
    admin ? checklist(data) : null,
    h('div', { class: 'cards' }, cards),
    hosts,
    h('h2', {}, 'Latest leads'),
    table(
      [
        ['Received', (l) => when(l.createdAt)],
        ['Email', (l) => l.email],
        ['App', (l) => l.app ?? '—'],
      ],
      data.leads.nodes,
      'No leads yet. They arrive when a page posts its contact form to /api/contact on one of your hosts.',
    ),
    h('p', {}, h('a', { href: '#/leads' }, 'All leads')),
  );
}

function card(title, figure, path, action) {
  return h('section', { class: 'card' }, h('h2', {}, title), h('p', { class: 'figure' }, figure), h('a', { href: `#/${path}` }, action));
}

/** From a new tenant to its first lead, each step with its state and where to do it. */
function checklist(data) {
  const custom = data.domains.filter((d) => d.kind === 'CUSTOM');
  const steps = [
    ['Add your own domain for an app', custom.length > 0, 'domains'],
    ['Verify it, so that it routes', custom.some((d) => d.verified), 'domains'],
    ['Create an API key for your app or server', data.apiKeys.some((k) => !k.revokedAt), 'keys'],
    ['Receive the first lead from a contact form', data.leads.nodes.length > 0, 'leads'],
  ];
  const done = steps.filter(([, isDone]) => isDone).length;
  return h('section', { class: 'card', 'aria-labelledby': 'setup-title' },
    h('h2', { id: 'setup-title' }, `Set up: ${done} of ${steps.length} done`),
    h('ol', { class: 'checklist' }, steps.map(([what, isDone, path]) =>
      h('li', {},
        h('span', { class: `state ${isDone ? 'done' : ''}` }, isDone ? 'Done' : 'To do'),
        h('a', { href: `#/${path}` }, what)))));
}
