// The branding editor: the tenant's defaults or one app's values, with a live preview, and what the
// app's host now serves at /api/branding.

import { gql } from './api.js';
import { appName, failure, field, fill, form, h, heading, hostUrl, input, select, status } from './ui.js';
import { contrast, ratioText, readableOn, sixDigits } from './colour.js';

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

/** What the preview shows for a colour nobody set. */
const UNSET = { primaryColor: '#0f62fe', accentColor: '#d96f25', backgroundColor: '#ffffff', textColor: '#161616' };

const SELECTION = FIELDS.map(([name]) => name).join(' ');

export async function render(view) {
  const { domains } = await gql('{ domains { app host kind verified } }');
  const apps = [...new Set(domains.map((d) => d.app))];
  const scope = select([['', 'Tenant defaults (every app inherits them)'], ...apps.map((a) => [a, appName(a)])]);
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
    const wrapper = field(label, control, { name, hint: type === 'color' ? 'A hex colour such as #0F62FE, or pick one.' : null });
    if (type === 'color') {
      // A picker beside the hex field, each following the other.
      const picker = h('input', { type: 'color', 'aria-label': `${label}: pick`, class: 'colour-picker' });
      const follow = () => {
        picker.value = sixDigits(control.value) ?? sixDigits(effective[name]) ?? UNSET[name];
      };
      follow();
      control.addEventListener('input', follow);
      picker.addEventListener('input', () => {
        control.value = picker.value.toUpperCase();
        update();
      });
      control.after(picker);
    }
    return wrapper;
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
    const colours = {
      primary: sixDigits(v.primaryColor) ?? UNSET.primaryColor,
      accent: sixDigits(v.accentColor) ?? UNSET.accentColor,
      background: sixDigits(v.backgroundColor) ?? UNSET.backgroundColor,
      text: sixDigits(v.textColor) ?? UNSET.textColor,
    };
    preview.style.setProperty('--p-primary', colours.primary);
    preview.style.setProperty('--p-on-primary', readableOn(colours.primary));
    preview.style.setProperty('--p-accent', colours.accent);
    preview.style.setProperty('--p-on-accent', readableOn(colours.accent));
    preview.style.setProperty('--p-background', colours.background);
    preview.style.setProperty('--p-text', colours.text);
    fill(
      preview,
      h('div', { class: 'preview-bar' },
        v.logoUrl ? h('img', { src: v.logoUrl, alt: '', width: 32, height: 32 }) : null,
        h('strong', {}, v.displayName ?? 'Your app')),
      h('p', { class: 'preview-title' }, v.seoTitle ?? ''),
      h('p', {}, v.seoDescription ?? 'The description search engines show.'),
      h('div', { class: 'actions' }, h('span', { class: 'preview-primary' }, 'Primary button'), h('span', { class: 'preview-accent' }, 'Accent')),
      warnings(colours),
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

/**
 * What the apps will show that fails WCAG AA: text on the background (4.5:1), and the primary
 * and accent colours as controls on it (3:1).
 */
function warnings({ primary, accent, background, text }) {
  const pairs = [
    ['Text on the background', contrast(text, background), 4.5],
    ['The primary colour on the background', contrast(primary, background), 3],
    ['The accent colour on the background', contrast(accent, background), 3],
  ];
  const failing = pairs.filter(([, ratio, needed]) => ratio < needed);
  if (failing.length === 0) return null;
  return h(
    'div',
    { class: 'notice warning', role: 'status' },
    h('p', {}, h('strong', {}, 'Hard to read for some people')),
    h('ul', {}, failing.map(([what, ratio, needed]) =>
      h('li', {}, `${what}: ${ratioText(ratio)}. It needs ${needed}:1 to meet WCAG AA.`))),
  );
}
