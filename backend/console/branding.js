// The branding editor: the tenant's defaults or one app's values, with a live preview, and what the
// app's host now serves at /api/branding.

import { gql } from './api.js';
import { failure, field, fill, form, h, heading, hostUrl, input, select, status } from './ui.js';

const FIELDS = [
  ['displayName', 'Display name', 'text'],
  ['logoUrl', 'Logo URL', 'url'],
  ['faviconUrl', 'Favicon URL', 'url'],
  ['primaryColor', 'Primary colour', 'color'],
  ['accentColor', 'Accent colour', 'color'],
  ['backgroundColor', 'Background colour', 'color'],
  ['textColor', 'Text colour', 'color'],
  ['seoTitle', 'Page title', 'text'],
  ['seoDescription', 'Page description', 'text'],
];

const SELECTION = FIELDS.map(([name]) => name).join(' ');

export async function render(view) {
  const { domains } = await gql('{ domains { app host kind verified } }');
  const apps = [...new Set(domains.map((d) => d.app))];
  const scope = select([['', 'Tenant defaults (every app inherits them)'], ...apps.map((a) => [a, a])]);
  const editor = h('div');
  async function load() {
    const app = scope.value || null;
    fill(editor, status('Loading…'));
    const { storedBranding, effective } = await gql(
      `query Stored($app: String) { storedBranding(app: $app) { ${SELECTION} } effective: branding(app: $app) { ${SELECTION} } }`,
      { app },
    );
    const system = domains.find((d) => d.app === app && d.kind === 'SYSTEM');
    fill(editor, brandingForm(app, storedBranding, effective, system?.host));
  }
  scope.addEventListener('change', () => load().catch((error) => fill(editor, failure(error))));
  await load();
  fill(
    view,
    heading('Branding', 'Names, colours and images your apps show. An app’s own values win over the tenant’s defaults; leave a value empty to inherit it.'),
    field('Edit', scope, { name: 'scope' }),
    editor,
  );
}

function brandingForm(app, stored, effective, host) {
  const preview = h('div', { class: 'preview', role: 'region', 'aria-label': 'Preview' });
  const controls = FIELDS.map(([name, label, type]) => {
    const control = input({
      type: type === 'url' ? 'url' : 'text',
      value: stored[name] ?? '',
      placeholder: app && effective[name] ? `inherits ${effective[name]}` : '',
    });
    control.addEventListener('input', update);
    return field(label, control, { name, hint: type === 'color' ? 'A hex colour such as #0F62FE.' : null });
  });
  const saved = status();
  function current() {
    const values = {};
    for (const [name] of FIELDS) {
      const value = controls.find((c) => c.dataset.field === name).querySelector('input').value.trim();
      values[name] = value || (app ? effective[name] : null) || null;
    }
    return values;
  }
  function update() {
    const v = current();
    const colour = (value, fallback) => (/^#([0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i.test(value ?? '') ? value : fallback);
    preview.style.setProperty('--p-primary', colour(v.primaryColor, '#0f62fe'));
    preview.style.setProperty('--p-accent', colour(v.accentColor, '#ff832b'));
    preview.style.setProperty('--p-background', colour(v.backgroundColor, '#ffffff'));
    preview.style.setProperty('--p-text', colour(v.textColor, '#161616'));
    fill(
      preview,
      h('div', { class: 'preview-bar' },
        v.logoUrl ? h('img', { src: v.logoUrl, alt: '', width: 32, height: 32 }) : null,
        h('strong', {}, v.displayName ?? 'Your app')),
      h('p', { class: 'preview-title' }, v.seoTitle ?? ''),
      h('p', {}, v.seoDescription ?? 'The description search engines show.'),
      h('div', { class: 'actions' }, h('span', { class: 'preview-primary' }, 'Primary button'), h('span', { class: 'preview-accent' }, 'Accent')),
    );
  }
  update();
  const served = h('div', { 'aria-live': 'polite' });
  const element = form({
    fields: controls,
    submit: 'Save branding',
    busy: 'Saving…',
    action: async (values) => {
      const fields = Object.fromEntries(FIELDS.map(([name]) => [name, values[name] || null]));
      await gql(
        `mutation Save($app: String, $input: BrandingInput!) { updateBranding(app: $app, input: $input) { ${SELECTION} } }`,
        { app, input: fields },
      );
      saved.textContent = 'Saved. Apps show it at once.';
      if (host) fill(served, h('p', { class: 'hint' }, h('code', {}, host), ' now serves it at ', link(host)));
    },
  });
  return h('div', { class: 'split' }, h('div', {}, element, saved, served), h('div', {}, h('h2', {}, 'Preview'), preview,
    host ? h('p', { class: 'hint' }, 'Served to the app at ', link(host)) : null));
}

function link(host) {
  const url = hostUrl(host, '/api/branding');
  return h('a', { href: url, target: '_blank', rel: 'noopener' }, url);
}
