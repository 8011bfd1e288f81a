// The tenant's hosts by app: system subdomains, and custom domains with the DNS records to create,
// verification check by check, and removal.

import { ApiError, gql } from './api.js';
import {
  actionButton, appName, confirm, copyButton, field, fill, form, h, heading, hostUrl, input, select, status, table, when,
} from './ui.js';

const DOMAIN = `id host app kind verified verifiedAt checkedAt expiresAt ownershipToken txtRecord
  checks { name passed reason durationMs checkedAt }`;

export async function render(view, context) {
  const { domains } = await gql(`{ domains { ${DOMAIN} } }`);
  const apps = [...new Set(domains.map((d) => d.app))].sort();
  const custom = domains.filter((d) => d.kind !== 'SYSTEM');
  const reload = () => context.reload();
  fill(
    view,
    heading('Domains', 'Each app answers on its system subdomain. Add your own domain to an app, publish the records shown, then verify it.'),
    h('h2', {}, 'Add a custom domain'),
    addForm(apps, reload),
    h('h2', {}, 'Hosts'),
    apps.length === 0
      ? h('p', { class: 'empty' }, 'This tenant has no apps yet. An operator provisions them.')
      : hostTable(apps, domains),
    custom.length > 0 ? [h('h2', {}, 'Your domains'), custom.map((d) => customDomain(d, systemOf(domains, d.app), reload))] : null,
    contactSnippet(domains),
  );
}

function systemOf(domains, app) {
  return domains.find((d) => d.app === app && d.kind === 'SYSTEM');
}

/** One row per app and custom domain: what each app answers on, and whether it routes. */
function hostTable(apps, domains) {
  const rows = apps.flatMap((app) => {
    const system = systemOf(domains, app);
    const custom = domains.filter((d) => d.app === app && d.kind !== 'SYSTEM');
    return (custom.length > 0 ? custom : [null]).map((domain) => ({ app, system, domain }));
  });
  const state = ({ system, domain }) => {
    if (domain) {
      return domain.verified
        ? h('span', { class: 'badge active' }, 'Verified, routing')
        : h('span', { class: 'badge suspended' }, 'Not verified: routes nothing yet');
    }
    return system?.verified ? 'System host routes' : 'Not routing';
  };
  return table(
    [
      ['App', (r) => appName(r.app)],
      ['System host', (r) => (r.system ? h('code', {}, r.system.host) : '—')],
      ['Custom domain', (r) => (r.domain ? [h('code', {}, r.domain.host), r.domain.kind === 'ALIAS' ? ' (alias)' : ''] : '—')],
      ['State', state],
    ],
    rows,
    '',
  );
}

/** A contact form to put on a page of one of the tenant's hosts: its leads arrive here. */
function contactSnippet(domains) {
  const hosts = domains.filter((d) => d.verified && d.app !== 'ADMIN_CONSOLE');
  if (hosts.length === 0) return null;
  const code = h('code', {});
  const where = h('p', {});
  const choice = select(hosts.map((d) => [d.host, `${appName(d.app)}: ${d.host}`]), { 'aria-label': 'Page host' });
  const show = () => {
    const host = choice.value;
    const url = hostUrl(host, '/api/contact');
    fill(where, 'Put this form on a page served from ', h('code', {}, host), '. It posts to ', h('code', {}, url),
      ', and each lead is filed under the app of that host, with the page it came from.');
    fill(code, contactForm(url));
  };
  choice.addEventListener('change', show);
  show();
  return h('section', { class: 'card wide', 'aria-labelledby': 'contact-title' },
    h('h2', { id: 'contact-title' }, 'Contact form'),
    field('Page host', choice),
    where,
    h('div', { class: 'snippet' },
      h('pre', { 'aria-label': 'Contact form snippet' }, code),
      copyButton(() => code.textContent, 'Copy the form')),
  );
}

function contactForm(url) {
  return `<form id="contact">
  <input name="email" type="email" required placeholder="Email" aria-label="Email">
  <input name="first_name" placeholder="First name" aria-label="First name">
  <input name="last_name" placeholder="Last name" aria-label="Last name">
  <textarea name="message" placeholder="Message" aria-label="Message"></textarea>
  <button>Send</button>
</form>
<script>
  document.getElementById('contact').addEventListener('submit', async (event) => {
    event.preventDefault();
    const lead = Object.fromEntries(new FormData(event.target));
    lead.source_page = location.href;
    const response = await fetch('${url}', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID() },
      body: JSON.stringify(lead),
    });
    event.target.replaceWith(response.ok
      ? 'Thank you: we will be in touch.'
      : 'Sorry, that did not go through. Please try again in a minute.');
  });
</script>`;
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
      h('thead', {}, h('tr', {}, ['Name', 'Type', 'Value', 'Why'].map((t) => h('th', { scope: 'col' }, t)))),
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
      field('App', select(apps.map((a) => [a, appName(a)])), { name: 'app' }),
      field('Host', input({ placeholder: 'rides.example.com', autocomplete: 'off', spellcheck: 'false', required: true }), { name: 'host' }),
      field('An extra name for an app that already has a custom domain (alias)', input({ type: 'checkbox' }), { name: 'alias' }),
    ],
    submit: 'Add domain',
    busy: 'Adding…',
    action: async ({ app, host, alias }) => {
      // Checked here, before the API asks anyone to confirm it's them.
      const problem = hostProblem(host);
      if (problem) throw new ApiError(problem, { field: 'host' });
      await gql(
        'mutation Add($app: String!, $host: String!, $alias: Boolean!) { addCustomDomain(app: $app, host: $host, alias: $alias) { id } }',
        { app, host, alias },
      );
      await reload();
    },
  });
}

/** One DNS label: letters, digits and inner hyphens, at most 63 characters. */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * What is wrong with `host` as a custom domain, in words, or null. Only what can be told without
 * the server: a name in another script is left to it.
 */
function hostProblem(host) {
  if (!host) return 'Enter the domain, like rides.example.com.';
  const name = host.toLowerCase().replace(/\.$/, '');
  if (/\s/.test(name)) return `“${host}” is not a domain name: it cannot hold spaces.`;
  if (/[^\x00-\x7f]/.test(name)) return null;
  const labels = name.split('.');
  if (labels.length < 2) return `“${host}” is not a full domain name: give it like rides.example.com.`;
  if (name.length > 253 || !labels.every((label) => LABEL.test(label))) {
    return `“${host}” is not a domain name: use letters, digits, hyphens and dots, like rides.example.com.`;
  }
  return null;
}
