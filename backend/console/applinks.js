// App links: the iOS app IDs, Android packages and extra passkey origins of one app, from which
// its well-known files are built.

import { gql } from './api.js';
import { failure, field, fill, form, h, heading, hostUrl, select, status } from './ui.js';

const FILES = ['apple-app-site-association', 'assetlinks.json', 'webauthn'];

export async function render(view) {
  const { domains } = await gql('{ domains { app host kind } }');
  const apps = [...new Set(domains.map((d) => d.app))];
  if (apps.length === 0) {
    fill(view, heading('App links'), h('p', { class: 'empty' }, 'This tenant has no apps yet. An operator provisions them.'));
    return;
  }
  const app = select(apps.map((a) => [a, a]));
  const editor = h('div');
  async function load() {
    fill(editor, status('Loading…'));
    const { appLinks } = await gql(
      'query Links($app: String!) { appLinks(app: $app) { iosAppIds webauthnOrigins androidApps { packageName sha256CertFingerprints } } }',
      { app: app.value },
    );
    const system = domains.find((d) => d.app === app.value && d.kind === 'SYSTEM');
    fill(editor, linksForm(app.value, appLinks, system?.host));
  }
  app.addEventListener('change', () => load().catch((error) => fill(editor, failure(error))));
  await load();
  fill(
    view,
    heading('App links', 'What lets your native apps open your links and share passkeys with your sites. Tenantry builds the well-known files from it.'),
    field('App', app, { name: 'app' }),
    editor,
  );
}

const lines = (text) => text.split('\n').map((l) => l.trim()).filter(Boolean);

function textarea(value, attributes = {}) {
  return h('textarea', { rows: 3, spellcheck: 'false', ...attributes }, value);
}

function linksForm(app, links, host) {
  const android = h('div', { class: 'android' });
  const addAndroid = (pkg = { packageName: '', sha256CertFingerprints: [] }) => {
    const index = android.children.length + 1;
    const row = h(
      'fieldset',
      { class: 'android-app' },
      h('legend', {}, `Android app ${index}`),
      field('Package name', h('input', { type: 'text', value: pkg.packageName, placeholder: 'com.example.app' }), { name: `package-${index}` }),
      field('Certificate fingerprints (SHA-256, one per line)', textarea(pkg.sha256CertFingerprints.join('\n')), { name: `fingerprints-${index}` }),
      h('button', { type: 'button', onclick: () => row.remove() }, 'Remove this Android app'),
    );
    android.append(row);
  };
  links.androidApps.forEach(addAndroid);
  const saved = status();
  const element = form({
    fields: [
      field('iOS app IDs (TEAMID.bundle.id, one per line)', textarea(links.iosAppIds.join('\n')), { name: 'iosAppIds' }),
      h('h3', {}, 'Android apps'),
      android,
      h('button', { type: 'button', onclick: () => addAndroid() }, 'Add an Android app'),
      field('Extra passkey origins (one per line)', textarea(links.webauthnOrigins.join('\n')), { name: 'webauthnOrigins', hint: 'Origins beyond the app’s verified hosts, such as https://login.example.com.' }),
    ],
    submit: 'Save app links',
    busy: 'Saving…',
    action: async (values) => {
      const androidApps = [...android.querySelectorAll('fieldset')].map((set) => {
        const [pkg, prints] = set.querySelectorAll('input, textarea');
        return { packageName: pkg.value.trim(), sha256CertFingerprints: lines(prints.value) };
      });
      await gql(
        'mutation Save($app: String!, $input: AppLinksInput!) { updateAppLinks(app: $app, input: $input) { iosAppIds } }',
        { app, input: { iosAppIds: lines(values.iosAppIds), webauthnOrigins: lines(values.webauthnOrigins), androidApps } },
      );
      saved.textContent = 'Saved. The well-known files show it at once.';
    },
  });
  const base = host ? hostUrl(host, '/.well-known/') : null;
  return h(
    'div',
    {},
    element,
    saved,
    base
      ? h('p', { class: 'hint' }, 'Generated files: ',
        FILES.map((file, i) => [i ? ', ' : '', h('a', { href: base + file, target: '_blank', rel: 'noopener' }, file)]))
      : null,
  );
}
