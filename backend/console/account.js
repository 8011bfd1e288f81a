// The signed-in person's own account: sessions (revoke), passkeys (add), sign out.

import { auth, gql } from './api.js';
import { actionButton, confirm, fill, h, heading, status, table, when } from './ui.js';

export async function render(view, context) {
  const list = h('div');
  async function load() {
    const { sessions } = await gql('{ sessions { id app createdAt expiresAt current } }');
    fill(list, table(
      [
        ['Started', (s) => when(s.createdAt)],
        ['On', (s) => s.app ?? '—'],
        ['Ends', (s) => when(s.expiresAt)],
        ['', (s) => (s.current ? h('strong', {}, 'this browser') : revokeButton(s, load))],
      ],
      sessions,
      'No other sessions.',
    ));
  }
  await load();
  const passkeyStatus = status();
  const canPasskey = Boolean(window.PublicKeyCredential?.parseCreationOptionsFromJSON);
  fill(
    view,
    heading('My account', context.viewer.account?.email),
    h('h2', {}, 'Sessions'),
    h('p', { class: 'hint' }, 'Every browser or device signed in as you. Revoke one you do not recognise.'),
    list,
    h('h2', {}, 'Passkeys'),
    h('p', { class: 'hint' }, 'A passkey signs you in with this device’s screen lock or a security key, with no code to wait for.'),
    canPasskey
      ? actionButton('Add a passkey', async () => {
        const added = await auth.addPasskey();
        passkeyStatus.textContent = `Passkey added for ${added.rp_id}. Next time, choose “Passkey” when you sign in.`;
      }, { busy: 'Waiting for your device…' })
      : h('p', { role: 'alert' }, 'This browser cannot make passkeys here.'),
    passkeyStatus,
  );
}

function revokeButton(session, reload) {
  return actionButton('Revoke', async () => {
    const sure = await confirm({
      title: 'Revoke this session?',
      message: 'That browser or device is signed out at once.',
      action: 'Revoke session',
    });
    if (!sure) return;
    await gql('mutation Revoke($id: ID!) { revokeSession(id: $id) }', { id: session.id });
    await reload();
  }, { danger: true, name: `Revoke the session started ${new Date(session.createdAt).toLocaleString()}` });
}
