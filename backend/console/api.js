// The console's only way to the server: the host's branding, the host's `/auth/*` routes, and
// `/graphql` with the signed-in person's Bearer token. Nothing here is specific to the console.

const STORE = 'tenantry.console.session';

/** An answer the server refused, in words, with what the API said about it. */
export class ApiError extends Error {
  constructor(message, { status = 0, code = null, reason = null, field = null } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.reason = reason;
    this.field = field;
  }
}

// Each admin host is its own origin, so a session kept here never leaves the tenant it was made on.
function loadSession() {
  try {
    return JSON.parse(localStorage.getItem(STORE)) ?? null;
  } catch {
    return null;
  }
}

let session = loadSession();
// Another tab's sign-in, refresh or sign-out is this tab's too.
window.addEventListener('storage', (event) => {
  if (event.key === STORE) session = loadSession();
});

export function signedIn() {
  return session !== null;
}

function keep(tokens) {
  session = {
    access: tokens.access_token,
    refresh: tokens.refresh_token ?? session?.refresh ?? null,
  };
  localStorage.setItem(STORE, JSON.stringify(session));
}

export function forget() {
  session = null;
  localStorage.removeItem(STORE);
}

/** What to do when a sensitive action needs the person to prove it is them again. */
let stepUpHandler = async () => false;
export function onStepUp(handler) {
  stepUpHandler = handler;
}

/** What to do when the session is gone for good (revoked, expired, tenant suspended). */
let endedHandler = () => {};
export function onSessionEnded(handler) {
  endedHandler = handler;
}

async function readError(response) {
  let detail = `The server answered ${response.status}.`;
  let reason = null;
  try {
    const body = await response.json();
    if (body?.detail) detail = body.detail;
    reason = body?.reason ?? null;
  } catch {
    // The status line says enough.
  }
  if (response.status === 429) {
    const wait = response.headers.get('Retry-After');
    detail = `Too many attempts; try again${wait ? ` in ${wait} s` : ' shortly'}.`;
  }
  return new ApiError(detail, { status: response.status, reason });
}

/** Runs `action`; when it needs a recent proof of identity, asks for one and runs it once more. */
async function withStepUp(action) {
  try {
    return await action();
  } catch (error) {
    if (error.reason !== 'ELEVATION_REQUIRED' || !(await stepUpHandler())) throw error;
    return action();
  }
}

async function send(path, { method = 'POST', body, token } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    throw new ApiError('Cannot reach the server. Check your connection and try again.');
  }
  if (!response.ok) throw await readError(response);
  return response.status === 204 ? null : response.json();
}

/** The branding of the host the console is served on: who this console belongs to. */
export function hostBranding() {
  return send('/api/branding', { method: 'GET' });
}

// Sign-in, on this host's tenant.
export const auth = {
  startEmail: (email) => send('/auth/email/start', { body: { email } }),
  async verifyEmail(email, code) {
    keep(await send('/auth/email/verify', { body: { email, code } }));
  },
  async password(email, password) {
    keep(await send('/auth/password/login', { body: { email, password } }));
  },
  startReset: (email) => send('/auth/password/reset/start', { body: { email } }),
  finishReset: (token, password) =>
    send('/auth/password/reset/finish', { body: { token, new_password: password } }),
  async passkey(email) {
    const challenge = await send('/auth/passkey/login/start', { body: { email } });
    const credential = await getPasskey(challenge.options);
    keep(
      await send('/auth/passkey/login/finish', {
        body: { ceremony_id: challenge.ceremony_id, credential },
      }),
    );
  },
  async signOut() {
    if (session) await withToken((token) => send('/auth/logout', { token })).catch(() => {});
    forget();
  },
  /** Adds a passkey called `name` (the server names it after the date when empty). */
  async addPasskey(name) {
    // A passkey is a way in for good, so the server asks for a recent proof first.
    const challenge = await withStepUp(() =>
      withToken((token) => send('/auth/passkey/register/start', { body: {}, token })),
    );
    const options = PublicKeyCredential.parseCreationOptionsFromJSON(challenge.options.publicKey);
    const created = await navigator.credentials.create({ publicKey: options });
    return withToken((token) =>
      send('/auth/passkey/register/finish', {
        body: { ceremony_id: challenge.ceremony_id, credential: created.toJSON(), name: name || undefined },
        token,
      }),
    );
  },
  /** Step-up: one proof (`{password}`, `{code}` or `passkey: true`) for a short elevation. */
  async elevate(proof, email) {
    let body = proof;
    if (proof.passkey) {
      const challenge = await send('/auth/passkey/login/start', { body: { email } });
      const credential = await getPasskey(challenge.options);
      body = { ceremony_id: challenge.ceremony_id, credential };
    }
    // A 401 here means the proof was wrong: sending it again would spend another try.
    keep(await withToken((token) => send('/auth/elevate', { body, token }), { retry: false }));
  },
};

async function getPasskey(options) {
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey);
  const credential = await navigator.credentials.get({ publicKey });
  return credential.toJSON();
}

/** Whether the access token's `exp` has passed (or is about to). */
function expired(token) {
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return payload.exp * 1000 < Date.now() + 5000;
  } catch {
    return false;
  }
}

let refreshing = null;

/**
 * A new token pair, once: a refresh token shown twice ends the session, so concurrent callers
 * share one refresh, and a pair another tab already got (`stale` was spent) is adopted instead.
 */
function refresh(stale) {
  const stored = loadSession();
  if (stored?.refresh && stored.refresh !== stale) {
    session = stored;
    return Promise.resolve(true);
  }
  refreshing ??= renew().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function renew() {
  if (!session?.refresh) return false;
  try {
    keep(await send('/auth/refresh', { body: { refresh_token: session.refresh } }));
    return true;
  } catch (error) {
    if (error.status === 401 || error.status === 404) {
      forget();
      endedHandler(error);
    }
    return false;
  }
}

/**
 * Runs `call` with the access token, refreshed first when it has expired, and once more after a
 * refresh when the server refuses it anyway (`retry`).
 */
async function withToken(call, { retry = true } = {}) {
  const signedOut = () => new ApiError('You are signed out.', { status: 401, code: 'UNAUTHENTICATED' });
  if (!session) {
    endedHandler(null);
    throw signedOut();
  }
  if (expired(session.access) && !(await refresh(session.refresh))) throw signedOut();
  const used = session.refresh;
  try {
    return await call(session.access);
  } catch (error) {
    if (!retry || error.status !== 401 || !(await refresh(used))) throw error;
    return call(session.access);
  }
}

async function post(query, variables) {
  return withToken(async (token) => {
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    }).catch(() => {
      throw new ApiError('Cannot reach the server. Check your connection and try again.');
    });
    const body = await response.json().catch(() => null);
    const first = body?.errors?.[0];
    if (first) {
      const ext = first.extensions ?? {};
      throw new ApiError(first.message, {
        status: response.status,
        code: ext.code ?? null,
        reason: ext.reason ?? null,
        field: ext.field ?? null,
      });
    }
    if (!response.ok || !body) throw await readError(response);
    return body.data;
  });
}

/**
 * A GraphQL operation. When the server answers that the action needs a recent proof of identity,
 * the step-up handler asks for one and the operation runs once more.
 */
export function gql(query, variables = {}) {
  return withStepUp(() => post(query, variables));
}
