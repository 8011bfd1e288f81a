// Members and roles: who can sign in to this tenant's console and what each may do.

import { ApiError, gql } from './api.js';
import { actionButton, confirm, describe, emailProblem, field, fill, form, h, heading, input, select, status, table, when } from './ui.js';

const ROLES = [['ADMIN', 'Admin'], ['MEMBER', 'Member'], ['USER', 'User']];

/** "an admin", "a member": a role as a sentence names it. */
const AS_WORDS = { OPERATOR: 'an operator', ADMIN: 'an admin', MEMBER: 'a member', USER: 'a user' };

export async function render(view, context) {
  const list = h('div');
  const said = status();
  const roles = context.viewer.role === 'OPERATOR' ? [['OPERATOR', 'Operator'], ...ROLES] : ROLES;
  async function load() {
    const { accounts } = await gql('{ accounts { id email role status createdAt } }');
    fill(list, table(
      [
        ['Email', (a) => a.email],
        ['Role', (a) => roleControl(a, roles, a.id === context.viewer.account?.id, load)],
        ['Status', (a) => (a.status === 'ACTIVE' ? 'Active' : 'Invited, not signed in yet')],
        ['Since', (a) => when(a.createdAt)],
        ['', (a) => {
          if (a.id === context.viewer.account?.id) return 'you';
          if (a.status === 'ACTIVE') return removeButton(a, load);
          return [resendButton(a, said), cancelButton(a, load)];
        }],
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
    said,
    h('h2', {}, 'Invite someone'),
    form({
      fields: [
        field('Email', input({ type: 'email', required: true }), { name: 'email', hint: 'We email them an invitation with the address of this console, where they sign in with a code sent to this address.' }),
        field('Role', select(roles.filter(([r]) => r !== 'USER')), { name: 'role' }),
      ],
      submit: 'Invite',
      busy: 'Inviting…',
      action: async ({ email, role }, formElement) => {
        // Checked here, before the API asks anyone to confirm it's them.
        const problem = emailProblem(email);
        if (problem) throw new ApiError(problem, { field: 'email' });
        await gql('mutation Invite($email: String!, $role: Role!) { inviteAccount(email: $email, role: $role) { id } }', { email, role });
        formElement.reset();
        await load();
        said.textContent = `Invitation sent to ${email}. They can sign in once it arrives.`;
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
    const sure = await confirm({
      title: `Make ${account.email} ${AS_WORDS[choice.value]}?`,
      message: choice.value === 'ADMIN' || choice.value === 'OPERATOR'
        ? 'They will be able to manage keys, domains, branding and members.'
        : 'They keep their sign-in; what they may do changes at once.',
      action: `Make ${AS_WORDS[choice.value]}`,
      danger: false,
    });
    if (!sure) {
      choice.value = account.role;
      return;
    }
    choice.disabled = true;
    try {
      await gql('mutation Role($id: ID!, $role: Role!) { setAccountRole(id: $id, role: $role) { id role } }', { id: account.id, role: choice.value });
      await reload();
    } catch (error) {
      choice.value = account.role;
      problem.textContent = describe(error);
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

function resendButton(account, said) {
  return actionButton('Resend', async () => {
    await gql('mutation Resend($id: ID!) { resendInvitation(id: $id) { id } }', { id: account.id });
    said.textContent = `Invitation sent again to ${account.email}.`;
  }, { busy: 'Sending…', name: `Resend the invitation to ${account.email}` });
}

function cancelButton(account, reload) {
  return actionButton('Cancel invitation', async () => {
    const sure = await confirm({
      title: `Cancel the invitation of ${account.email}?`,
      message: 'The invitation they were sent stops working; you can invite them again later.',
      action: 'Cancel invitation',
    });
    if (!sure) return;
    await gql('mutation Remove($id: ID!) { removeAccount(id: $id) }', { id: account.id });
    await reload();
  }, { danger: true, name: `Cancel the invitation of ${account.email}` });
}
