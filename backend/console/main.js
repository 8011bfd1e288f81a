// The console's shell: who this console belongs to (the host's branding), who is signed in
// (`viewer`), the navigation their role allows, and the step-up dialog sensitive actions share.

import { ApiError, auth, forget, gql, hostBranding, onSessionEnded, onStepUp, signedIn } from './api.js';
import { describe, field, fill, form, h, input } from './ui.js';
import { readableOn, shadeFor, sixDigits } from './colour.js';
import * as account from './account.js';
import * as applinks from './applinks.js';
import * as audit from './audit.js';
import * as branding from './branding.js';
import * as domains from './domains.js';
import * as keys from './keys.js';
import * as leads from './leads.js';
import * as members from './members.js';
import * as overview from './overview.js';
import * as signin from './signin.js';
import * as tenants from './tenants.js';

/**
 * Pages by route; `roles` are the roles whose navigation lists them. The platform tenant has no
 * app hosts or leads of its own, so operators see the tenants instead.
 */
const PAGES = [
  { path: 'tenants', title: 'Tenants', page: tenants, roles: ['OPERATOR'] },
  { path: 'overview', title: 'Overview', page: overview, roles: ['ADMIN', 'MEMBER'] },
  { path: 'domains', title: 'Domains', page: domains, roles: ['ADMIN'] },
  { path: 'keys', title: 'API keys', page: keys, roles: ['OPERATOR', 'ADMIN'] },
  { path: 'branding', title: 'Branding', page: branding, roles: ['OPERATOR', 'ADMIN'] },
  { path: 'app-links', title: 'App links', page: applinks, roles: ['ADMIN'] },
  { path: 'members', title: 'Members', page: members, roles: ['OPERATOR', 'ADMIN'] },
  { path: 'leads', title: 'Leads', page: leads, roles: ['ADMIN', 'MEMBER'] },
  { path: 'audit', title: 'Audit', page: audit, roles: ['OPERATOR', 'ADMIN'] },
  { path: 'account', title: 'My account', page: account, roles: ['OPERATOR', 'ADMIN', 'MEMBER'] },
];

const CONSOLE_ROLES = ['OPERATOR', 'ADMIN', 'MEMBER'];

const main = document.getElementById('main');
const top = document.getElementById('top');

/** What every page is given: the host's branding, the viewer, and a way to move on. */
const context = { brand: null, viewer: null, navigate, reload: route };

function navigate(path) {
  if (location.hash === `#/${path}`) route();
  else location.hash = `#/${path}`;
}

/** The console's own surfaces, which a tenant's colours are drawn on. */
const SURFACES = ['#ffffff', '#f4f4f4'];

/**
 * The tenant's colours on the console, never at the cost of reading it: filled buttons keep the
 * brand colour with black or white text, whichever reads; links, outlined buttons and the focus
 * ring use the nearest shade of it that stands out 4.5:1 (text) from the console's surfaces, and
 * the accent underline 3:1.
 */
function applyBrand(brand) {
  const root = document.documentElement.style;
  const primary = sixDigits(brand.primary_color);
  if (primary) {
    root.setProperty('--primary', primary);
    root.setProperty('--on-primary', readableOn(primary));
    root.setProperty('--primary-ink', shadeFor(primary, SURFACES, 4.5));
  }
  const accent = sixDigits(brand.accent_color);
  if (accent) root.setProperty('--accent', shadeFor(accent, SURFACES, 3));
  document.title = `${brand.display_name ?? brand.tenant_name} console`;
  if (brand.favicon_url) {
    document.head.append(h('link', { rel: 'icon', href: brand.favicon_url }));
  }
}

function brandMark(brand) {
  const name = brand.display_name ?? brand.tenant_name;
  return h(
    'a',
    { class: 'brand', href: '#/' },
    brand.logo_url ? h('img', { src: brand.logo_url, alt: '', width: 28, height: 28 }) : null,
    h('span', {}, name),
  );
}

function renderTop() {
  const { brand, viewer } = context;
  if (!viewer) {
    fill(top, brandMark(brand));
    return;
  }
  const current = location.hash.slice(2).split('/')[0];
  const links = PAGES.filter((p) => p.roles.includes(viewer.role)).map((p) =>
    h('li', {}, h('a', { href: `#/${p.path}`, 'aria-current': p.path === current ? 'page' : null }, p.title)),
  );
  // On a phone the navigation and the account fold into a menu (CSS shows the button there).
  top.classList.remove('open');
  const menu = h('button', { type: 'button', class: 'menu-toggle', 'aria-expanded': 'false', 'aria-controls': 'console-nav' }, 'Menu');
  menu.addEventListener('click', () => {
    const open = top.classList.toggle('open');
    menu.setAttribute('aria-expanded', String(open));
  });
  fill(
    top,
    brandMark(brand),
    menu,
    h('nav', { 'aria-label': 'Console', id: 'console-nav' }, h('ul', {}, links)),
    h(
      'div',
      { class: 'who' },
      h('span', {}, `${viewer.account?.email ?? ''} · ${viewer.role}`),
      h('button', { type: 'button', onclick: signOut }, 'Sign out'),
    ),
  );
}

async function signOut() {
  await auth.signOut();
  context.viewer = null;
  navigate('signin');
}

async function loadViewer() {
  const data = await gql('{ viewer { role account { id email } tenant { slug name } } }');
  context.viewer = data.viewer;
}

// Each call of `route` draws only while it is the latest: a slower, older one (quick navigation, a
// session that ended mid-load) must not draw over what came after it.
let routes = 0;

/** Shows the page the address names, or sign-in when nobody is signed in. */
async function route() {
  const seq = ++routes;
  const current = () => seq === routes;
  const path = location.hash.slice(2).split('/')[0];
  if (!signedIn()) {
    context.viewer = null;
    renderTop();
    fill(main);
    signin.render(main, { ...context, done: afterSignIn });
    return;
  }
  if (!context.viewer) {
    try {
      await loadViewer();
    } catch (error) {
      if (!current()) return;
      renderTop();
      fill(main, h('h1', {}, 'The console could not start'), h('p', { role: 'alert' }, describe(error)));
      return;
    }
  }
  if (!current()) return;
  if (!context.viewer) {
    // The token names no one any more (the account was removed): start again.
    forget();
    route();
    return;
  }
  const { role } = context.viewer;
  if (!CONSOLE_ROLES.includes(role)) {
    renderTop();
    fill(
      main,
      h('h1', {}, 'No console access'),
      h('p', { role: 'alert' }, `This account is a ${role ?? 'caller without a role'}: the console is for members, admins and operators of ${context.brand.tenant_name}.`),
    );
    return;
  }
  const fallback = role === 'OPERATOR' ? 'tenants' : 'overview';
  const entry = PAGES.find((p) => p.path === path);
  if (!entry) {
    navigate(fallback);
    return;
  }
  renderTop();
  document.title = `${entry.title} · ${context.brand.display_name ?? context.brand.tenant_name}`;
  fill(main, h('p', { class: 'status', role: 'status' }, 'Loading…'));
  const view = h('div', { class: 'page' });
  try {
    await entry.page.render(view, context);
    if (current()) fill(main, view);
  } catch (error) {
    if (current()) fill(main, h('h1', {}, entry.title), h('p', { class: 'form-error', role: 'alert' }, describe(error)));
  }
  main.focus({ preventScroll: true });
}

/** Back to the page the address named before sign-in, or the role's first page. */
async function afterSignIn() {
  context.viewer = null;
  await route();
}

/**
 * Step-up: a sensitive action answered ELEVATION_REQUIRED. Opens on the proof the account can
 * use: a passkey when it has one; otherwise an emailed code, sent as the dialog opens (and said
 * so only once it was sent), with the password below when one is set. Resolves true once the
 * server has granted the elevation, false when cancelled.
 */
async function stepUp() {
  const email = context.viewer?.account?.email;
  const proofs = await gql('{ viewer { account { hasPassword } } passkeys { id } }').catch(() => null);
  const hasPasskey = (proofs?.passkeys?.length ?? 0) > 0;
  const hasPassword = proofs?.viewer?.account?.hasPassword ?? true;
  return new Promise((resolve) => {
    const dialog = h('dialog', { 'aria-labelledby': 'step-up-title', class: 'step-up' });
    const finish = (granted) => {
      dialog.dataset.granted = granted ? 'yes' : 'no';
      dialog.close();
    };
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.dataset.granted === 'yes');
    });
    const codeStatus = h('p', { class: 'hint', role: 'status' });
    let sent = false;
    const sendCode = async () => {
      codeStatus.textContent = `Sending a code to ${email}…`;
      try {
        await auth.startEmail(email);
        sent = true;
        codeStatus.textContent = `A code is on its way to ${email}.`;
        sendButton.textContent = 'Send another code';
      } catch (error) {
        codeStatus.textContent = describe(error);
      }
    };
    const sendButton = h('button', { type: 'button', onclick: sendCode }, 'Email me a code');
    const withPassword = form({
      fields: field('Password', input({ type: 'password', autocomplete: 'current-password', required: true }), { name: 'password' }),
      submit: 'Confirm with password',
      action: async ({ password }) => {
        if (!password) throw new ApiError('Enter your password.', { field: 'password' });
        await auth.elevate({ password }, email);
        finish(true);
      },
    });
    const withCode = form({
      fields: [
        field('Code', input({ inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6 }), { name: 'code' }),
        codeStatus,
      ],
      submit: 'Confirm with code',
      action: async ({ code }) => {
        if (!/^\d{6}$/.test(code)) {
          const ask = sent ? 'Enter the 6-digit code from the email.' : 'Send yourself a code first, then enter its 6 digits.';
          throw new ApiError(ask, { field: 'code' });
        }
        await auth.elevate({ code }, email);
        finish(true);
      },
      extra: sendButton,
    });
    const withPasskey = form({
      fields: [],
      submit: 'Use a passkey',
      action: async () => {
        await auth.elevate({ passkey: true }, email);
        finish(true);
      },
    });
    const proofsInOrder = hasPasskey ? [withPasskey, withCode] : [withCode];
    if (hasPassword) proofsInOrder.push(withPassword);
    dialog.append(
      h('h2', { id: 'step-up-title' }, "Confirm it's you"),
      h('p', {}, 'This action changes who can reach your data, so prove it is you again. It stays confirmed for a few minutes.'),
      ...proofsInOrder.flatMap((proof, i) => (i === 0 ? [proof] : [h('hr'), proof])),
      h('form', { method: 'dialog', class: 'actions' }, h('button', { value: 'cancel' }, 'Cancel')),
    );
    document.body.append(dialog);
    dialog.showModal();
    if (!hasPasskey) sendCode();
  });
}

onStepUp(stepUp);
onSessionEnded(() => {
  context.viewer = null;
  route();
});

async function start() {
  try {
    context.brand = await hostBranding();
  } catch (error) {
    fill(main, h('h1', {}, 'This console is not available'), h('p', { role: 'alert' }, describe(error)));
    return;
  }
  applyBrand(context.brand);
  window.addEventListener('hashchange', route);
  await route();
}

start();
