// The tenant's hosts by app: system subdomains, and custom domains with the DNS records to create,
// verification check by check, and removal.

import { gql } from './api.js';
import {
  actionButton, confirm, copyButton, field, fill, form, h, heading, input, select, status, when,
} from './ui.js';

const DOMAIN = `id host app kind verified verifiedAt checkedAt expiresAt ownershipToken txtRecord
  checks { name passed reason durationMs checkedAt }`;

export async function render(view, context) {
  const { domains } = await gql(`{ domains { ${DOMAIN} } }`);
  const apps = [...new Set(domains.map((d) => d.app))];
  const reload = () => context.reload();
  fill(
    view,
    heading('Domains', 'Each app answers on its system subdomain. Add your own domain to an app, publish the records shown, then verify it.'),
    apps.length === 0
      ? h('p', { class: 'empty' }, 'This tenant has no apps yet. An operator provisions them.')
      : apps.map((app) => appSection(app, domains.filter((d) => d.app === app), reload)),
    h('h2', {}, 'Add a custom domain'),
    addForm(apps, reload),
  );
}

function appSection(app, domains, reload) {
  const system = domains.find((d) => d.kind === 'SYSTEM');
  const custom = domains.filter((d) => d.kind !== 'SYSTEM');
  return h(
    'section',
    { class: 'card wide', 'aria-labelledby': `app-${app}` },
    h('h2', { id: `app-${app}` }, app),
    system
      ? h('p', {}, 'System host: ', h('code', {}, system.host))
      : h('p', { class: 'hint' }, 'No system host.'),
    custom.length === 0
      ? h('p', { class: 'empty' }, 'No custom domain. Add one below to serve this app on your own name.')
      : custom.map((d) => customDomain(d, system, reload)),
  );
}

function customDomain(domain, system, reload) {
  const checks = h('div', { 'aria-live': 'polite' }, checkList(domain));
  const progress = status();
  const state = domain.verified
    ? h('span', { class: 'badge active' }, 'Verified, routing')
    : h('span', { class: 'badge suspended' }, 'Not verified: routes nothing yet');
  return h(
    'article',
    { class: 'domain', 'aria-label': domain.host },
    h('h3', {}, h('code', {}, domain.host), ' ', state, domain.kind === 'ALIAS' ? ' (alias)' : ''),
    domain.verified ? h('p', { class: 'hint' }, 'Verified ', when(domain.verifiedAt)) : records(domain, system),
    checks,
    progress,
    h(
      'div',
      { class: 'actions' },
      actionButton(domain.verified ? 'Check again' : 'Verify', async () => {
        progress.textContent = `Checking ${domain.host}: DNS, the TXT record, then the three well-known files (up to 15 s)…`;
        try {
          const { verifyCustomDomain: checked } = await gql(
            `mutation Verify($id: ID!) { verifyCustomDomain(id: $id) { ${DOMAIN} } }`,
            { id: domain.id },
          );
          progress.textContent = checked.verified
            ? `${checked.host} passed every check and routes now.`
            : `${checked.host} did not pass: see the failed checks above.`;
          fill(checks, checkList(checked));
          if (checked.verified !== domain.verified) await reload();
        } catch (error) {
          progress.textContent = '';
          throw error;
        }
      }, { busy: 'Checking…', name: `${domain.verified ? 'Check again' : 'Verify'} ${domain.host}` }),
      actionButton('Remove', async () => {
        const sure = await confirm({
          title: `Remove ${domain.host}?`,
          message: `It stops routing to ${domain.app} at once, on every instance.`,
          action: 'Remove domain',
        });
        if (!sure) return;
        await gql('mutation Remove($id: ID!) { removeCustomDomain(id: $id) }', { id: domain.id });
        await reload();
      }, { danger: true, name: `Remove ${domain.host}` }),
    ),
  );
}

/** The records to publish before verifying, exactly as they go into the DNS zone. */
function records(domain, system) {
  const rows = [
    [`${domain.host}.`, 'CNAME', system ? `${system.host}.` : 'your proxy', 'or A/AAAA records of your own proxy'],
  ];
  if (domain.txtRecord && domain.ownershipToken) {
    rows.push([`${domain.txtRecord}.`, 'TXT', `"${domain.ownershipToken}"`, 'proves the domain is yours']);
  }
  return h(
    'div',
    { class: 'records' },
    h('p', {}, 'Create these DNS records, and forward ', h('code', {}, '/.well-known/*'), ` from ${domain.host} to `,
      h('code', {}, system?.host ?? 'the system host'), ' with that host as Host. Then verify.'),
    h('div', { class: 'table-scroll' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Name', 'Type', 'Value', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.map(([name, type, value, note]) => h('tr', {},
        h('td', { 'data-label': 'Name' }, h('code', {}, name)),
        h('td', { 'data-label': 'Type' }, type),
        h('td', { 'data-label': 'Value' }, h('code', {}, value), ' ', copyButton(value.replace(/^"|"$/g, ''))),
        h('td', { class: 'hint' }, note),
      ))),
    )),
    domain.expiresAt ? h('p', { class: 'hint' }, 'Unverified claims lapse ', when(domain.expiresAt), '.') : null,
  );
}

function checkList(domain) {
  if (domain.checks.length === 0) return h('p', { class: 'hint' }, 'Not checked yet.');
  return h(
    'ul',
    { class: 'checks', 'aria-label': `Checks of ${domain.host}` },
    domain.checks.map((check) =>
      h('li', { class: check.passed ? 'ok' : 'bad' },
        h('strong', {}, `${check.passed ? '✓ passed' : '✗ failed'}: ${check.name}`),
        ` — ${check.reason} (${check.durationMs} ms)`),
    ),
  );
}

function addForm(apps, reload) {
  if (apps.length === 0) return h('p', { class: 'empty' }, 'Custom domains belong to an app; this tenant has none yet.');
  return form({
    fields: [
      field('App', select(apps.map((a) => [a, a])), { name: 'app' }),
      field('Host', input({ placeholder: 'rides.example.com', autocomplete: 'off', spellcheck: 'false', required: true }), { name: 'host' }),
      field('An extra name for an app that already has a custom domain (alias)', input({ type: 'checkbox' }), { name: 'alias' }),
    ],
    submit: 'Add domain',
    busy: 'Adding…',
    action: async ({ app, host, alias }) => {
      await gql(
        'mutation Add($app: String!, $host: String!, $alias: Boolean!) { addCustomDomain(app: $app, host: $host, alias: $alias) { id } }',
        { app, host, alias },
      );
      await reload();
    },
  });
}
