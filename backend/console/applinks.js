// App links: the iOS app IDs, Android packages and extra passkey origins of one app, from which
// its well-known files are built.

import { ApiError, gql } from './api.js';
import { appName, failure, field, fill, form, h, heading, hostUrl, select, status } from './ui.js';

const FILES = ['apple-app-site-association', 'assetlinks.json', 'webauthn'];

export async function render(view) {
  const { domains } = await gql('{ domains { app host kind } }');
  const apps = [...new Set(domains.map((d) => d.app))];
  if (apps.length === 0) {
    fill(view, heading('App links'), h('p', { class: 'empty' }, 'This tenant has no apps yet. An operator provisions them.'));
    return;
  }
  const app = select(apps.map((a) => [a, appName(a)]));
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
  // Counted, not the number shown: after a removal, a new entry's fields must not take the name
  // of one still on the page.
  let added = 0;
  const addAndroid = (pkg = { packageName: '', sha256CertFingerprints: [] }) => {
    added += 1;
    const index = added;
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
      h('h2', {}, 'Android apps'),
      android,
      h('button', { type: 'button', onclick: () => addAndroid() }, 'Add an Android app'),
      field('Extra passkey origins (one per line)', textarea(links.webauthnOrigins.join('\n')), { name: 'webauthnOrigins', hint: 'Origins beyond the app’s verified hosts, such as https://login.example.com.' }),
    ],
    submit: 'Save app links',
    busy: 'Saving…',
    action: async (values) => {
      const sets = [...android.querySelectorAll('fieldset')];
      const androidApps = sets.map((set) => {
        const [pkg, prints] = set.querySelectorAll('input, textarea');
        return { packageName: pkg.value.trim(), sha256CertFingerprints: lines(prints.value) };
      });
      // `androidApps[1].packageName` is the package name input of the second Android app shown.
      const placed = (error) => {
        const [, index, part] = /^androidApps\[(\d+)\]\.(\w+)$/.exec(error.field ?? '') ?? [];
        const wrapper = sets[Number(index)]?.querySelectorAll('.field')[part === 'packageName' ? 0 : 1];
        if (wrapper) error.field = wrapper.dataset.field;
        return error;
      };
      // Checked here, before the API asks anyone to confirm it's them.
      const problem = linksProblem(lines(values.iosAppIds), androidApps, lines(values.webauthnOrigins));
      if (problem) throw placed(new ApiError(problem.words, { field: problem.field }));
      try {
        await gql(
          'mutation Save($app: String!, $input: AppLinksInput!) { updateAppLinks(app: $app, input: $input) { iosAppIds } }',
          { app, input: { iosAppIds: lines(values.iosAppIds), webauthnOrigins: lines(values.webauthnOrigins), androidApps } },
        );
      } catch (error) {
        throw placed(error);
      }
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

const REVERSE_DNS = /^(?=.{1,255}$)[A-Za-z][\w-]*(\.[A-Za-z][\w-]*)+$/;
const FINGERPRINT = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){31}$/;

/**
 * The first entry the API would refuse, as `{ field, words }` with the API's name of the field,
 * or null: the same rules as the API's.
 */
function linksProblem(iosAppIds, androidApps, origins) {
  const bad = iosAppIds.find((id) => {
    const dot = id.indexOf('.');
    return !(dot === 10 && /^[A-Za-z0-9]{10}$/.test(id.slice(0, 10)) && REVERSE_DNS.test(id.slice(11)));
  });
  if (bad !== undefined) return { field: 'iosAppIds', words: `“${bad}” is not an iOS app ID: write it as TEAMID.bundle.id, like ABCDE12345.com.example.app.` };
  for (const [i, app] of androidApps.entries()) {
    if (!REVERSE_DNS.test(app.packageName)) {
      return { field: `androidApps[${i}].packageName`, words: `“${app.packageName}” is not a package name, like com.example.app.` };
    }
    if (app.sha256CertFingerprints.length === 0) {
      return { field: `androidApps[${i}].sha256CertFingerprints`, words: 'Give at least one certificate fingerprint for this app.' };
    }
    const print = app.sha256CertFingerprints.find((p) => !FINGERPRINT.test(p));
    if (print !== undefined) {
      return { field: `androidApps[${i}].sha256CertFingerprints`, words: `“${print}” is not a SHA-256 fingerprint: 32 pairs of hex digits separated by colons.` };
    }
  }
  const origin = origins.find((o) => !/^https:\/\/[^/?#\s]+$/.test(o));
  if (origin !== undefined) return { field: 'webauthnOrigins', words: `“${origin}” is not an https origin, like https://login.example.com.` };
  return null;
}
