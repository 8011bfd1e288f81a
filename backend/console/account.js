// The signed-in person's own account: sessions (revoke), passkeys (list, add, remove), sign out.

import { auth, gql } from './api.js';
import { actionButton, confirm, field, fill, h, heading, input, status, table, when } from './ui.js';

export async function render(view, context) {
  const list = h('div');
  async function load() {
    const { sessions } = await gql('{ sessions { id app device ipAddress createdAt expiresAt current } }');
    fill(list, table(
      [
        ['Started', (s) => when(s.createdAt)],
        ['Device', device],
        ['Ends', (s) => when(s.expiresAt)],
        ['', (s) => (s.current ? h('strong', {}, 'this browser') : revokeButton(s, load))],
      ],
      sessions,
      'No other sessions.',
    ));
  }
  await load();
  const passkeys = h('div');
  async function loadPasskeys() {
    const { passkeys: rows } = await gql('{ passkeys { id name createdAt lastUsedAt } }');
    fill(passkeys, table(
      [
        ['Name', (p) => p.name],
        ['Added', (p) => when(p.createdAt)],
        ['Last used', (p) => (p.lastUsedAt ? when(p.lastUsedAt) : 'never')],
        ['', (p) => removePasskeyButton(p, loadPasskeys)],
      ],
      rows,
      'No passkeys yet.',
    ));
  }
  await loadPasskeys();
  const passkeyStatus = status();
  const canPasskey = Boolean(window.PublicKeyCredential?.parseCreationOptionsFromJSON);
  const passkeyName = input({ name: 'passkeyName', maxlength: 100, placeholder: 'Work laptop' });
  fill(
    view,
    heading('My account', context.viewer.account?.email),
    h('h2', {}, 'Sessions'),
    h('p', { class: 'hint' }, 'Every browser or device signed in as you. Revoke one you do not recognise.'),
    list,
    h('h2', {}, 'Passkeys'),
    h('p', { class: 'hint' }, 'A passkey signs you in with this device’s screen lock or a security key, with no code to wait for. Remove one you do not recognise.'),
    passkeys,
    canPasskey
      ? h('div', {},
        field('Name of the new passkey (optional)', passkeyName, { name: 'passkeyName' }),
        actionButton('Add a passkey', async () => {
          const added = await auth.addPasskey(passkeyName.value.trim());
          passkeyName.value = '';
          passkeyStatus.textContent = `Passkey “${added.name}” added. Next time, choose “Passkey” when you sign in.`;
          await loadPasskeys();
        }, { busy: 'Waiting for your device…' }))
      : h('p', { role: 'alert' }, 'This browser cannot make passkeys here.'),
    passkeyStatus,
  );
}

function removePasskeyButton(passkey, reload) {
  return actionButton('Remove', async () => {
    const sure = await confirm({
      title: `Remove the passkey “${passkey.name}”?`,
      message: 'It can no longer sign in as you.',
      action: 'Remove passkey',
    });
    if (!sure) return;
    await gql('mutation RemovePasskey($id: ID!) { removePasskey(id: $id) }', { id: passkey.id });
    await reload();
  }, { danger: true, name: `Remove the passkey ${passkey.name}` });
}

// "Firefox on Linux · 192.0.2.7": the browser and system a session began on, and from where.
// Sessions that began before devices were recorded show the app they signed in to instead.
function device(session) {
  const name = session.device ?? session.app ?? '—';
  return session.ipAddress ? `${name} · ${session.ipAddress}` : name;
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
