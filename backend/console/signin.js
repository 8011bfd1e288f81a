// Sign-in on this host's tenant: an emailed code, a password, or a passkey.

import { auth } from './api.js';
import { field, fill, form, h, input, status } from './ui.js';

const METHODS = [
  ['code', 'Email code'],
  ['password', 'Password'],
  ['passkey', 'Passkey'],
];

export function render(view, { brand, done }) {
  const name = brand.display_name ?? brand.tenant_name;
  const panel = h('div', { class: 'panel' });
  const tabs = h(
    'div',
    { class: 'tabs', role: 'group', 'aria-label': 'Sign in with' },
    METHODS.map(([method, label]) =>
      h('button', { type: 'button', 'aria-pressed': 'false', 'data-method': method, onclick: () => show(method) }, label),
    ),
  );
  function show(method) {
    for (const tab of tabs.children) tab.setAttribute('aria-pressed', String(tab.dataset.method === method));
    fill(panel, FORMS[method](done));
    panel.querySelector('input')?.focus();
  }
  fill(
    view,
    h('section', { class: 'signin' }, h('h1', {}, `Sign in to ${name}`), h('p', { class: 'lead' }, `The console of ${brand.tenant_name}.`), tabs, panel),
  );
  show('code');
}

const email = () =>
  field('Email', input({ type: 'email', autocomplete: 'username webauthn', required: true }), { name: 'email' });

const FORMS = {
  code(done) {
    const wrapper = h('div');
    const sent = status();
    const ask = form({
      fields: email(),
      submit: 'Send code',
      busy: 'Sending…',
      action: async ({ email: address }) => {
        await auth.startEmail(address);
        fill(
          wrapper,
          h('p', { class: 'hint', role: 'status' }, `If ${address} can sign in here, a 6-digit code is on its way. It works for 10 minutes.`),
          form({
            fields: field('Code', input({ inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6, required: true }), { name: 'code' }),
            submit: 'Sign in',
            busy: 'Signing in…',
            action: async ({ code }) => {
              try {
                await auth.verifyEmail(address, code);
              } catch (error) {
                // A refused code is about the code: say so under it.
                if (error.status === 400 || error.status === 401 || error.status === 422) error.field = 'code';
                throw error;
              }
              done();
            },
            extra: h('button', { type: 'button', onclick: () => fill(wrapper, ask, sent) }, 'Use another address'),
          }),
        );
        wrapper.querySelector('input').focus();
      },
    });
    return fill(wrapper, ask, sent);
  },
  password(done) {
    const wrapper = h('div');
    const signIn = (note = null) =>
      fill(
        wrapper,
        note,
        form({
          fields: [email(), field('Password', input({ type: 'password', autocomplete: 'current-password', required: true }), { name: 'password' })],
          submit: 'Sign in',
          busy: 'Signing in…',
          action: async ({ email: address, password }) => {
            await auth.password(address, password);
            done();
          },
          extra: h('button', { type: 'button', onclick: () => fill(wrapper, reset(signIn)) }, 'Forgot or never set a password?'),
        }),
      );
    return signIn();
  },
  passkey(done) {
    if (!window.PublicKeyCredential?.parseRequestOptionsFromJSON) {
      return h('p', { role: 'alert' }, 'This browser cannot use passkeys here. Sign in with an email code instead.');
    }
    return form({
      fields: email(),
      submit: 'Sign in with a passkey',
      busy: 'Waiting for your passkey…',
      action: async ({ email: address }) => {
        await auth.passkey(address);
        done();
      },
    });
  },
};

/** A new password through a token mailed to the address; then back to signing in with it. */
function reset(signIn) {
  const wrapper = h('div');
  const ask = form({
    fields: email(),
    submit: 'Email me a reset token',
    busy: 'Sending…',
    action: async ({ email: address }) => {
      await auth.startReset(address);
      fill(
        wrapper,
        h('p', { class: 'hint', role: 'status' }, `If ${address} has an account here, a reset token is on its way. It works once, for 30 minutes.`),
        form({
          fields: [
            field('Reset token', input({ autocomplete: 'off', spellcheck: 'false', required: true }), { name: 'token' }),
            field('New password', input({ type: 'password', autocomplete: 'new-password', minlength: 10, required: true }), { name: 'new_password', hint: 'At least 10 characters. Every session of the account ends.' }),
          ],
          submit: 'Set password',
          busy: 'Saving…',
          action: async ({ token, new_password: password }) => {
            await auth.finishReset(token, password);
            signIn(h('p', { class: 'notice', role: 'status' }, 'Password set. Sign in with it.'));
          },
        }),
      );
      wrapper.querySelector('input').focus();
    },
    extra: h('button', { type: 'button', onclick: () => signIn() }, 'Back to sign-in'),
  });
  return fill(wrapper, ask);
}
