// Leads from the contact forms: filters by app, date and any part of an address or name, pages of 25, and a CSV export of
// everything the filters match. New leads appear as they arrive, through the `leadCreated`
// subscription, and the page says when that live connection drops and when it is back.

import { gql, subscribe } from './api.js';
import { appName, failure, field, fill, form, h, heading, input, select, status, table, when } from './ui.js';

const PAGE = 25;
const EXPORT_PAGE = 100;
const COLUMNS = ['createdAt', 'email', 'firstName', 'lastName', 'app', 'host', 'sourcePage', 'message'];

const QUERY = `query Leads($first: Int, $after: String, $filter: LeadsFilter) {
  leads(first: $first, after: $after, filter: $filter) {
    nodes { id ${COLUMNS.join(' ')} }
    pageInfo { hasNextPage endCursor }
  }
}`;

export async function render(view, { viewer }) {
  const { tenantDiscovery } = await gql('query Apps($slug: String!) { tenantDiscovery(slug: $slug) { apps } }', { slug: viewer.tenant.slug });
  const apps = tenantDiscovery?.apps ?? [];
  const results = h('div', { 'aria-live': 'polite' });
  const progress = status();
  let filter = {};
  let cursors = [];
  let after = null;

  async function load() {
    const { leads } = await gql(QUERY, { first: PAGE, after, filter });
    fill(
      results,
      table(
        [
          ['Received', (l) => when(l.createdAt)],
          ['Email', (l) => l.email],
          ['Name', (l) => [l.firstName, l.lastName].filter(Boolean).join(' ') || '—'],
          ['App', (l) => (l.app ? appName(l.app) : '—')],
          ['Host', (l) => h('code', {}, l.host)],
          ['Page', (l) => l.sourcePage ?? '—'],
          ['Message', (l) => h('span', { class: 'message' }, l.message ?? '')],
        ],
        leads.nodes,
        Object.keys(filter).length
          ? 'No lead matches these filters.'
          : 'No leads yet. Copy the contact form from the Domains page onto a page of one of your hosts: each form sent arrives here.',
      ),
      h('div', { class: 'actions' },
        h('button', { type: 'button', disabled: cursors.length === 0, onclick: () => { after = cursors.pop(); turn(); } }, 'Previous page'),
        h('button', { type: 'button', disabled: !leads.pageInfo.hasNextPage, onclick: () => { cursors.push(after); after = leads.pageInfo.endCursor; turn(); } }, 'Next page')),
    );
  }

  const turn = () => load().catch((error) => results.append(failure(error)));

  const filters = form({
    fields: h('div', { class: 'filters' },
      field('App', select([['', 'Any app'], ...apps.map((a) => [a, appName(a)])]), { name: 'app' }),
      field('Received since', input({ type: 'date' }), { name: 'since' }),
      field('Search', input({ type: 'search', placeholder: 'Address or name' }), { name: 'search' })),
    submit: 'Filter',
    busy: 'Filtering…',
    action: async (values) => {
      filter = {};
      if (values.app) filter.app = values.app;
      if (values.since) filter.since = new Date(`${values.since}T00:00:00`).toISOString();
      if (values.search) filter.search = values.search;
      cursors = [];
      after = null;
      await load();
    },
    extra: h('button', { type: 'button', onclick: () => exportCsv(filter, progress) }, 'Export CSV'),
  });
  await load();
  const live = status('');
  fill(view, heading('Leads', 'What people sent through your apps’ contact forms, newest first.'), filters, live, progress, results);

  // A new lead shows at once on the first page, when it matches the filters.
  let wasDown = false;
  subscribe('subscription { leadCreated { id app } }', {
    alive: () => view.isConnected || !view.dataset.shown,
    onState: (state) => {
      view.dataset.shown = 'yes';
      if (state === 'live') {
        live.textContent = wasDown ? 'Live again: new leads appear as they arrive.' : 'Live: new leads appear as they arrive.';
        wasDown = false;
      } else {
        live.textContent = 'The live connection dropped; new leads show after it is back (trying again…).';
        wasDown = true;
      }
    },
    onData: ({ leadCreated }) => {
      // A search may match the name, which the event does not carry: the first page is read again.
      const matches = !filter.app || filter.app === leadCreated.app;
      if (after === null && matches) turn();
    },
  });
}

/** Every lead the filters match, page by page, as a CSV download. */
async function exportCsv(filter, progress) {
  const rows = [];
  let after = null;
  try {
    do {
      const { leads } = await gql(QUERY, { first: EXPORT_PAGE, after, filter });
      rows.push(...leads.nodes);
      progress.textContent = `Exporting… ${rows.length} leads so far.`;
      after = leads.pageInfo.hasNextPage ? leads.pageInfo.endCursor : null;
    } while (after);
  } catch (error) {
    progress.textContent = `The export stopped after ${rows.length} leads: ${error.message}`;
    return;
  }
  const cell = (value) => {
    const text = String(value ?? '');
    // A leading =, +, -, @, tab or carriage return would run as a formula in a spreadsheet.
    const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
    return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
  };
  const csv = [COLUMNS.join(','), ...rows.map((row) => COLUMNS.map((c) => cell(row[c])).join(','))].join('\r\n');
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
  const link = h('a', { href: url, download: `leads-${new Date().toISOString().slice(0, 10)}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  progress.textContent = `Exported ${rows.length} ${rows.length === 1 ? 'lead' : 'leads'}.`;
}
