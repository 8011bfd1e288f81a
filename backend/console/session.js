// The signed-in session: the token pair kept for this host, refreshed once when it runs out, and
// the access token handed to each call.

import { ApiError, send } from './http.js';

const STORE = 'tenantry.console.session';

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

export function keep(tokens) {
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

/** What to do when the session is gone for good (revoked, expired, tenant suspended). */
let endedHandler = () => {};
export function onSessionEnded(handler) {
  endedHandler = handler;
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
export async function withToken(call, { retry = true } = {}) {
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
