// API keys: create (the secret shown once), list by display prefix with last use and expiry,
// revoke.

import { ApiError, gql } from './api.js';
import {
  actionButton, appName, confirm, copyButton, field, fill, form, h, heading, input, select, table, when,
} from './ui.js';

const KEY = 'id name kind role app displayPrefix createdAt lastUsedAt expiresAt revokedAt';

export async function render(view, context) {
  const { domains } = await gql('{ domains { app } }');
  const apps = [...new Set(domains.map((d) => d.app))];
  const created = h('div', { 'aria-live': 'polite' });
  const list = h('div');
  async function load() {
    const { apiKeys } = await gql(`{ apiKeys { ${KEY} } }`);
    fill(list, table(
      [
        ['Name', (k) => k.name],
        ['Key', (k) => h('code', {}, `${k.displayPrefix}…`)],
        ['Kind', (k) => (k.kind === 'SECRET' ? 'secret' : 'public')],
        ['Role', (k) => k.role ?? '—'],
        ['App', (k) => (k.app ? appName(k.app) : 'Any app')],
        ['Created', (k) => when(k.createdAt)],
        ['Last used', (k) => (k.lastUsedAt ? when(k.lastUsedAt) : 'never')],
        ['Expires', (k) => (k.expiresAt ? when(k.expiresAt) : 'never')],
        ['Status', (k) => statusOf(k)],
        ['', (k) => (k.revokedAt ? '' : revokeButton(k, load))],
      ],
      apiKeys,
      'No keys yet. Create one above for a server or an app.',
    ));
  }
  await load();
  fill(
    view,
    heading('API keys', 'Secret keys (btk_) let your servers call the API with a role; public keys (bpk_) ship in apps and pages and read public data only.'),
    h('h2', {}, 'Create a key'),
    createForm(apps, context.viewer.role, created, load),
    created,
    h('h2', {}, 'Keys'),
    list,
  );
}

function statusOf(key) {
  if (key.revokedAt) return h('span', { class: 'badge suspended' }, 'Revoked');
  if (key.expiresAt && new Date(key.expiresAt) < new Date()) return h('span', { class: 'badge suspended' }, 'Expired');
  return h('span', { class: 'badge active' }, 'Active');
}

function revokeButton(key, reload) {
  return actionButton('Revoke', async () => {
    const sure = await confirm({
      title: `Revoke ${key.name}?`,
      message: `Calls with ${key.displayPrefix}… are refused at once, on every instance. This cannot be undone.`,
      action: 'Revoke key',
    });
    if (!sure) return;
    await gql('mutation Revoke($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }', { id: key.id });
    await reload();
  }, { danger: true, name: `Revoke ${key.name}` });
}

function createForm(apps, role, created, reload) {
  const roles = [['ADMIN', 'Admin'], ['MEMBER', 'Member']];
  if (role === 'OPERATOR') roles.unshift(['OPERATOR', 'Operator']);
  const kind = select([['SECRET', 'Secret (servers)'], ['PUBLIC', 'Public (apps and pages)']]);
  const roleField = field('Role', select(roles), { name: 'role', hint: 'What a secret key may do.' });
  kind.addEventListener('change', () => {
    roleField.hidden = kind.value !== 'SECRET';
  });
  return form({
    fields: [
      field('Name', input({ required: true, maxlength: 100, placeholder: 'billing backend' }), { name: 'name' }),
      field('Kind', kind, { name: 'kind' }),
      roleField,
      field('App', select([['', 'Any app (secret keys only)'], ...apps.map((a) => [a, appName(a)])]), { name: 'app', hint: 'A public key is used by one app.' }),
      field('Expires on', input({ type: 'date' }), { name: 'expiresAt', hint: 'Leave empty for a key that does not expire.' }),
    ],
    submit: 'Create key',
    busy: 'Creating…',
    action: async (values, formElement) => {
      // Checked here, before the API asks anyone to confirm it's them.
      if (values.kind === 'PUBLIC' && !values.app) {
        throw new ApiError('Choose the app this public key is for: it ships inside that app or its pages.', { field: 'app' });
      }
      if (values.expiresAt && new Date(`${values.expiresAt}T23:59:59`) <= new Date()) {
        throw new ApiError('Choose a day in the future, or leave it empty for a key that does not expire.', { field: 'expiresAt' });
      }
      const fields = {
        name: values.name,
        kind: values.kind,
        role: values.kind === 'SECRET' ? values.role : null,
        app: values.app || null,
        expiresAt: values.expiresAt ? new Date(`${values.expiresAt}T23:59:59`).toISOString() : null,
      };
      const { createApiKey: made } = await gql(
        `mutation Create($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { ${KEY} } } }`,
        { input: fields },
      );
      formElement.reset();
      roleField.hidden = false;
      showSecret(made);
      await reload();
    },
  });

  function showSecret(made) {
    const slot = created;
    const secret = input({ readonly: true, value: made.secret, class: 'secret', spellcheck: 'false' });
    // A public key ships in apps and pages: it is a key to copy, not a secret to guard.
    const what = made.apiKey.kind === 'SECRET' ? 'key secret' : 'public key';
    fill(
      slot,
      h('div', { class: 'notice warning', role: 'status' },
        h('h3', {}, `Key “${made.apiKey.name}” created`),
        h('p', {}, h('strong', {}, `Copy the ${what} now. `), 'It is shown this once and cannot be shown again; if you lose it, revoke the key and create another.'),
        field(`New ${what}`, secret, { name: 'secret' }),
        h('div', { class: 'actions' }, copyButton(made.secret, `Copy the ${what}`),
          h('button', { type: 'button', onclick: () => fill(slot) }, 'I have stored it')),
        usage(made),
      ),
    );
    slot.scrollIntoView({ block: 'start' });
    secret.focus({ preventScroll: true });
    secret.select();
  }
}

/** How to call the API with the new key: the URL, the header, and snippets to copy. */
function usage(made) {
  const url = `${location.origin}/graphql`;
  const query = made.apiKey.kind === 'SECRET' ? '{ viewer { role tenant { slug } } }' : '{ branding { displayName } }';
  const curl = `curl ${url} \\\n  -H 'Content-Type: application/json' \\\n  -H 'X-Api-Key: ${made.secret}' \\\n  -d '${JSON.stringify({ query })}'`;
  const fetchCode = `const response = await fetch('${url}', {\n  method: 'POST',\n  headers: { 'Content-Type': 'application/json', 'X-Api-Key': '${made.secret}' },\n  body: JSON.stringify({ query: '${query}' }),\n});\nconst { data } = await response.json();`;
  const snippet = (label, code) => h('div', { class: 'snippet' },
    h('h4', {}, label),
    h('pre', { 'aria-label': label }, h('code', {}, code)),
    copyButton(code, `Copy ${label.toLowerCase()}`));
  return h('section', { class: 'usage', 'aria-label': 'Use the key' },
    h('h4', {}, 'Use it'),
    h('p', {}, 'Send GraphQL requests to ', h('code', {}, url), ' with the header ', h('code', {}, 'X-Api-Key'),
      made.apiKey.kind === 'SECRET'
        ? ' from your servers. Never put a secret key in an app or a web page.'
        : ' from the app’s pages and code: a public key reads public data only.'),
    snippet('curl', curl),
    snippet('fetch', fetchCode));
}
