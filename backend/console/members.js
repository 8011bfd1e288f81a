// Members and roles: who can sign in to this tenant's console and what each may do.

import { gql } from './api.js';
import { actionButton, confirm, field, fill, form, h, heading, input, select, table, when } from './ui.js';

const ROLES = [['ADMIN', 'Admin'], ['MEMBER', 'Member'], ['USER', 'User']];

export async function render(view, context) {
  const list = h('div');
  const roles = context.viewer.role === 'OPERATOR' ? [['OPERATOR', 'Operator'], ...ROLES] : ROLES;
  async function load() {
    const { accounts } = await gql('{ accounts { id email role status createdAt } }');
    fill(list, table(
      [
        ['Email', (a) => a.email],
        ['Role', (a) => roleControl(a, roles, a.id === context.viewer.account?.id, load)],
        ['Status', (a) => (a.status === 'ACTIVE' ? 'active' : 'invited')],
        ['Since', (a) => when(a.createdAt)],
        ['', (a) => (a.id === context.viewer.account?.id ? 'you' : removeButton(a, load))],
      ],
      accounts,
      'No members yet. Invite someone below.',
    ));
  }
  await load();
  fill(
    view,
    heading('Members', 'Admins manage the tenant; members read its leads; users are the people of your apps.'),
    list,
    h('h2', {}, 'Invite someone'),
    form({
      fields: [
        field('Email', input({ type: 'email', required: true }), { name: 'email', hint: 'They sign in on this console with a code sent to this address.' }),
        field('Role', select(roles.filter(([r]) => r !== 'USER')), { name: 'role' }),
      ],
      submit: 'Invite',
      busy: 'Inviting…',
      action: async ({ email, role }, formElement) => {
        await gql('mutation Invite($email: String!, $role: Role!) { inviteAccount(email: $email, role: $role) { id } }', { email, role });
        formElement.reset();
        await load();
      },
    }),
  );
}

function roleControl(account, roles, self, reload) {
  if (self) return account.role;
  const choice = select(roles, { 'aria-label': `Role of ${account.email}` });
  choice.value = account.role;
  const problem = h('span', { class: 'inline-error', role: 'alert' });
  choice.addEventListener('change', async () => {
    problem.textContent = '';
    choice.disabled = true;
    try {
      await gql('mutation Role($id: ID!, $role: Role!) { setAccountRole(id: $id, role: $role) { id role } }', { id: account.id, role: choice.value });
      await reload();
    } catch (error) {
      choice.value = account.role;
      problem.textContent = error.message;
    } finally {
      choice.disabled = false;
    }
  });
  return h('span', {}, choice, problem);
}

function removeButton(account, reload) {
  return actionButton('Remove', async () => {
    const sure = await confirm({
      title: `Remove ${account.email}?`,
      message: 'Their sessions and tokens stop working at once.',
      action: 'Remove member',
    });
    if (!sure) return;
    await gql('mutation Remove($id: ID!) { removeAccount(id: $id) }', { id: account.id });
    await reload();
  }, { danger: true, name: `Remove ${account.email}` });
}
