// The tenant at a glance: the set-up checklist, leads per day, hosts, keys, members, the latest
// activity and leads, each linking to its page.

import { gql } from './api.js';
import { sentence } from './http.js';
import { appName, fill, h, heading, table, when } from './ui.js';

/** How many days the chart shows. */
const DAYS = 30;
/** One colour per app in the chart, each at least 3:1 against the card in light and dark themes. */
const SERIES = ['#1f6feb', '#d96f25', '#1a7f37', '#8250df', '#bf3989', '#0a7b83', '#9a6700', '#6e7781'];

export async function render(view, { viewer }) {
  const admin = viewer.role !== 'MEMBER';
  const data = await gql(`query Overview($admin: Boolean!) {
    domains @include(if: $admin) { host app kind verified }
    apiKeys @include(if: $admin) { id revokedAt }
    accounts @include(if: $admin) { id }
    leads(first: 5) { nodes { email app createdAt } pageInfo { hasNextPage } }
    leadsPerDay(days: ${DAYS}) { day app leads }
    auditEvents(first: 5) @include(if: $admin) { nodes { id detail createdAt } }
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
            ['App', (d) => appName(d.app)],
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
    chart(data.leadsPerDay),
    h('div', { class: 'cards' }, cards),
    hosts,
    admin ? activity(data.auditEvents.nodes) : null,
    h('h2', {}, 'Latest leads'),
    table(
      [
        ['Received', (l) => when(l.createdAt)],
        ['Email', (l) => l.email],
        ['App', (l) => (l.app ? appName(l.app) : '—')],
      ],
      data.leads.nodes,
      'No leads yet. Copy the contact form from the Domains page onto a page of one of your hosts: each form sent arrives here.',
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
    ['Receive the first lead: copy the contact form onto a page of yours', data.leads.nodes.length > 0, 'domains'],
  ];
  const done = steps.filter(([, isDone]) => isDone).length;
  return h('section', { class: 'card', 'aria-labelledby': 'setup-title' },
    h('h2', { id: 'setup-title' }, `Set up: ${done} of ${steps.length} done`),
    h('ol', { class: 'checklist' }, steps.map(([what, isDone, path]) =>
      h('li', {},
        h('span', { class: `state ${isDone ? 'done' : ''}` }, isDone ? 'Done' : 'To do'),
        h('a', { href: `#/${path}` }, what)))),
    h('p', { class: 'hint' }, 'The steps do not wait on each other: the contact form and the keys work on your hosts as they are, before a domain of your own is verified.'));
}

/** Leads per day of the last DAYS days, stacked by app, with the same figures as a table. */
function chart(perDay) {
  const days = [];
  const today = new Date();
  for (let ago = DAYS - 1; ago >= 0; ago -= 1) {
    days.push(new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - ago)).toISOString().slice(0, 10));
  }
  const apps = [...new Set(perDay.map((d) => d.app ?? ''))].sort();
  const colour = (app) => SERIES[apps.indexOf(app ?? '') % SERIES.length];
  const byDay = new Map(days.map((day) => [day, []]));
  for (const count of perDay) byDay.get(count.day)?.push(count);
  const totals = days.map((day) => byDay.get(day).reduce((sum, c) => sum + c.leads, 0));
  const highest = Math.max(1, ...totals);
  const total = totals.reduce((a, b) => a + b, 0);
  const perApp = apps.map((app) => [app, perDay.filter((c) => (c.app ?? '') === app).reduce((sum, c) => sum + c.leads, 0)]);
  const summary = total === 0
    ? `No leads in the last ${DAYS} days.`
    : `${total} ${total === 1 ? 'lead' : 'leads'} in the last ${DAYS} days: ${perApp.map(([app, n]) => `${n} from ${appName(app)}`).join(', ')}.`;
  const label = (day) => new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
  return h('section', { class: 'card wide', 'aria-labelledby': 'chart-title' },
    h('h2', { id: 'chart-title' }, `Leads per day, last ${DAYS} days`),
    h('p', {}, summary),
    h('div', { class: 'chart', role: 'img', 'aria-label': summary },
      days.map((day, i) => h('div', { class: 'chart-day', title: `${label(day)}: ${totals[i]}` },
        byDay.get(day).map((c) => h('span', {
          class: 'chart-bar',
          style: { height: `${(100 * c.leads) / highest}%`, background: colour(c.app) },
        }))))),
    h('div', { class: 'chart-axis', 'aria-hidden': 'true' }, h('span', {}, label(days[0])), h('span', {}, label(days[days.length - 1]))),
    apps.length > 0
      ? h('ul', { class: 'chart-legend' }, perApp.map(([app, n]) =>
        h('li', {}, h('span', { class: 'swatch', style: { background: colour(app) }, 'aria-hidden': 'true' }), `${appName(app)}: ${n}`)))
      : null,
    total > 0
      ? h('details', {}, h('summary', {}, 'Show as a table'),
        table(
          [['Day (UTC)', (c) => label(c.day)], ['App', (c) => appName(c.app)], ['Leads', (c) => String(c.leads)]],
          [...perDay].reverse(),
          '',
        ))
      : null);
}

/** The tenant's latest security events and changes, in the words the audit trail keeps. */
function activity(events) {
  return [
    h('h2', {}, 'Latest activity'),
    events.length === 0
      ? h('p', { class: 'empty' }, 'Nothing yet. Sign-ins and changes appear here.')
      : h('ul', { class: 'activity' }, events.map((e) => h('li', {}, when(e.createdAt), ' ', sentence(e.detail)))),
    h('p', {}, h('a', { href: '#/audit' }, 'All activity')),
  ];
}
