// Operators: every tenant, searchable and paged; provisioning with live slug availability;
// suspension and reactivation.

import { ApiError, gql } from './api.js';
import {
  actionButton, confirm, debounce, emailProblem, failure, field, fill, form, h, heading, hostUrl, input, select, status,
  table,
} from './ui.js';

const PAGE = 20;

const LIST = `query Tenants($first: Int, $after: String, $filter: TenantFilter) {
  tenants(first: $first, after: $after, filter: $filter) {
    nodes { slug name status rateLimitPerMinute }
    pageInfo { hasNextPage endCursor }
  }
}`;

export async function render(view, { viewer }) {
  const platform = viewer.tenant?.slug;
  if (viewer.role !== 'OPERATOR') {
    // The API would refuse too; say so before asking.
    const refusal = await gql(LIST, { first: 1 }).then(() => null, (error) => error);
    fill(
      view,
      heading('Tenants'),
      h('p', { class: 'form-error', role: 'alert' }, `Only platform operators can see tenants. ${refusal ? `The API answered: ${refusal.message}` : ''}`),
    );
    return;
  }
  const results = h('div', { 'aria-live': 'polite' });
  const search = input({ type: 'search', placeholder: 'Slug or name' });
  const state = select([['', 'Any status'], ['ACTIVE', 'Active'], ['SUSPENDED', 'Suspended']]);
  // Cursors of the pages before the one shown, for "Previous".
  let cursors = [];
  let after = null;

  async function load() {
    const filter = { search: search.value.trim() || null, status: state.value || null };
    try {
      const { tenants } = await gql(LIST, { first: PAGE, after, filter });
      fill(results, list(tenants.nodes), pager(tenants.pageInfo));
    } catch (error) {
      fill(results, failure(error));
    }
  }
  const restart = () => {
    cursors = [];
    after = null;
    load();
  };

  function pager(pageInfo) {
    return h(
      'div',
      { class: 'actions' },
      h('button', {
        type: 'button',
        disabled: cursors.length === 0,
        onclick: () => {
          after = cursors.pop();
          load();
        },
      }, 'Previous page'),
      h('button', {
        type: 'button',
        disabled: !pageInfo.hasNextPage,
        onclick: () => {
          cursors.push(after);
          after = pageInfo.endCursor;
          load();
        },
      }, 'Next page'),
    );
  }

  function list(nodes) {
    const empty = search.value || state.value
      ? 'No tenant matches. Clear the search or provision one below.'
      : 'No tenants yet. Provision the first one below.';
    return table(
      [
        ['Slug', (t) => (t.slug === platform ? t.slug : h('a', { href: adminUrl(t.slug), rel: 'noopener' }, t.slug))],
        ['Name', (t) => t.name],
        ['Status', (t) => h('span', { class: `badge ${t.status.toLowerCase()}` }, t.status === 'ACTIVE' ? 'Active' : 'Suspended')],
        ['Rate limit', (t) => (t.rateLimitPerMinute ? `${t.rateLimitPerMinute}/min` : 'default')],
        ['', (t) => (t.slug === platform ? 'The platform: operators work here' : statusAction(t, load))],
      ],
      nodes,
      empty,
    );
  }

  search.addEventListener('input', debounce(restart));
  state.addEventListener('change', restart);
  fill(
    view,
    heading('Tenants', 'Every tenant of the platform. Suspending one stops its hosts and credentials at once.'),
    h('div', { class: 'filters' }, field('Search', search, { name: 'search' }), field('Status', state, { name: 'status' })),
    results,
    h('h2', {}, 'Provision a tenant'),
    provisionForm(restart),
  );
  await load();
}

/** The tenant's console, on its admin system host beside this one. */
function adminUrl(slug) {
  return hostUrl(`${slug}-admin.${location.hostname.replace(/^admin\./, '')}`);
}

function statusAction(tenant, reload) {
  const suspend = tenant.status === 'ACTIVE';
  return actionButton(
    suspend ? 'Suspend' : 'Activate',
    async () => {
      const sure = await confirm({
        title: suspend ? `Suspend ${tenant.slug}?` : `Activate ${tenant.slug}?`,
        message: suspend
          ? `Every host of ${tenant.name} will answer "Tenant not found" and its keys and sessions stop working, at once.`
          : `${tenant.name}'s hosts and credentials will work again at once.`,
        action: suspend ? 'Suspend tenant' : 'Activate tenant',
        danger: suspend,
      });
      if (!sure) return;
      await gql(
        'mutation Status($slug: String!, $status: TenantStatus!) { setTenantStatus(slug: $slug, status: $status) { slug status } }',
        { slug: tenant.slug, status: suspend ? 'SUSPENDED' : 'ACTIVE' },
      );
      await reload();
    },
    { danger: suspend, name: `${suspend ? 'Suspend' : 'Activate'} ${tenant.slug}` },
  );
}

function provisionForm(reload) {
  const slug = input({ autocomplete: 'off', spellcheck: 'false', maxlength: 63, required: true });
  const availability = status();
  availability.id = 'slug-availability';
  const check = debounce(async () => {
    const value = slug.value.trim().toLowerCase();
    if (!value) {
      availability.textContent = '';
      return;
    }
    try {
      const { subdomainAvailable: answer } = await gql(
        'query Slug($slug: String!) { subdomainAvailable(slug: $slug) { slug available reason } }',
        { slug: value },
      );
      if (slug.value.trim().toLowerCase() !== value) return;
      availability.textContent = answer.available ? `${value} is available.` : `${value} is taken: ${answer.reason}`;
      availability.className = `status ${answer.available ? 'ok' : 'bad'}`;
    } catch (error) {
      availability.textContent = error.message;
    }
  });
  slug.addEventListener('input', check);
  const outcome = h('div', { 'aria-live': 'polite' });
  const element = form({
    fields: [
      field('Slug', slug, { name: 'slug', hint: 'Lower-case letters, digits and hyphens; it names the hosts: <slug>-rides, <slug>-admin…' }),
      availability,
      field('Name', input({ required: true, maxlength: 200 }), { name: 'name' }),
      field('Admin email', input({ type: 'email', required: true }), { name: 'adminEmail', hint: 'The first admin: we email them an invitation; they sign in on the tenant’s admin host with a code sent here.' }),
    ],
    submit: 'Provision',
    busy: 'Provisioning…',
    action: async ({ slug: value, name, adminEmail }, formElement) => {
      const problem = emailProblem(adminEmail);
      if (problem) throw new ApiError(problem, { field: 'adminEmail' });
      const { provisionTenant: made } = await gql(
        `mutation Provision($slug: String!, $name: String!, $adminEmail: String!) {
          provisionTenant(slug: $slug, name: $name, adminEmail: $adminEmail) {
            tenant { slug name } admin { email } domains { app host }
          }
        }`,
        { slug: value.toLowerCase(), name, adminEmail },
      );
      formElement.reset();
      availability.textContent = '';
      const adminHost = made.domains.find((d) => d.app === 'ADMIN_CONSOLE');
      const url = adminHost ? hostUrl(adminHost.host) : adminUrl(made.tenant.slug);
      fill(
        outcome,
        h('div', { class: 'notice', role: 'status' },
          h('p', {}, `${made.tenant.name} (${made.tenant.slug}) is ready. An invitation is on its way to ${made.admin.email}, who can sign in at `,
            h('a', { href: url }, url), '.'),
          h('ul', {}, made.domains.map((d) => h('li', {}, h('code', {}, d.host), ` — ${d.app}`)))),
      );
      await reload();
    },
  });
  return h('div', {}, element, outcome);
}
