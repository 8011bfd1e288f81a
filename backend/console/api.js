// The console's only way to the server: the host's branding, the host's `/auth/*` routes, and
// `/graphql` with the signed-in person's Bearer token. Nothing here is specific to the console.
// Requests are made in `http.js`; the session and its tokens are kept in `session.js`.

import { ApiError, readError, send, sentence } from './http.js';
import { forget, keep, signedIn, withToken } from './session.js';

export { ApiError } from './http.js';
export { forget, onSessionEnded, signedIn } from './session.js';

/** What to do when a sensitive action needs the person to prove it is them again. */
let stepUpHandler = async () => false;
export function onStepUp(handler) {
  stepUpHandler = handler;
}

/** Runs `action`; when it needs a recent proof of identity, asks for one and runs it once more. */
async function withStepUp(action) {
  try {
    return await action();
  } catch (error) {
    if (error.reason !== 'ELEVATION_REQUIRED') throw error;
    if (!(await stepUpHandler())) {
      throw new ApiError("Not done: this change needs you to confirm it's you first, and that was cancelled.", {
        status: error.status,
        code: error.code,
        reason: 'STEP_UP_CANCELLED',
      });
    }
    return action();
  }
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
    if (signedIn()) await withToken((token) => send('/auth/logout', { token })).catch(() => {});
    forget();
  },
  /** Adds a passkey called `name` (the server names it after the date when empty). */
  async addPasskey(name) {
    // A passkey is a way in for good, so the server asks for a recent proof first.
    const challenge = await withStepUp(() =>
      withToken((token) => send('/auth/passkey/register/start', { body: {}, token })),
    );
    const options = PublicKeyCredential.parseCreationOptionsFromJSON(challenge.options.publicKey);
    const created = await passkeyCeremony(() => navigator.credentials.create({ publicKey: options }));
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
  const credential = await passkeyCeremony(() => navigator.credentials.get({ publicKey }));
  return credential.toJSON();
}

/** The browser's passkey prompt, its refusals in words rather than WebAuthn's. */
async function passkeyCeremony(prompt) {
  try {
    return await prompt();
  } catch (error) {
    const said = {
      NotAllowedError: 'No passkey was used: the prompt was closed or timed out, or this device has no passkey for this account.',
      InvalidStateError: 'This device already holds a passkey for this account.',
      SecurityError: 'Passkeys cannot be used on this address.',
      AbortError: 'The passkey prompt was closed.',
    }[error?.name];
    throw new ApiError(said ?? 'This browser could not use a passkey here.');
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
      // The form shows the message at the field it names, so the API's name of it goes.
      const message = ext.field && first.message.startsWith(`${ext.field}: `)
        ? first.message.slice(ext.field.length + 2)
        : first.message;
      throw new ApiError(sentence(message), {
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

/** How long to wait before opening a dropped live connection again. */
const RECONNECT_MS = 2000;

/**
 * A subscription over `/graphql`'s WebSocket (the graphql-transport-ws protocol), with the
 * signed-in person's token in `connection_init`. `onData` gets each result's data; `onState` gets
 * 'live' when the subscription runs and 'down' when the connection dropped (it is opened again,
 * with a fresh token, until `stop` is called or `alive()` says the page is gone).
 */
export function subscribe(query, { onData, onState, alive }) {
  let socket = null;
  let stopped = false;
  let timer = null;
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    socket?.close(1000);
  };
  const again = () => {
    if (stopped || !alive()) return stop();
    onState('down');
    timer = setTimeout(open, RECONNECT_MS);
  };
  async function open() {
    if (stopped || !alive()) return stop();
    let token;
    try {
      token = await withToken(async (access) => access);
    } catch {
      return stop();
    }
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
    socket = new WebSocket(url, 'graphql-transport-ws');
    const current = socket;
    const say = (message) => current.send(JSON.stringify(message));
    current.onopen = () => say({ type: 'connection_init', payload: { Authorization: `Bearer ${token}` } });
    current.onmessage = (event) => {
      if (!alive()) return stop();
      const message = JSON.parse(event.data);
      if (message.type === 'connection_ack') {
        say({ id: '1', type: 'subscribe', payload: { query } });
        onState('live');
      } else if (message.type === 'ping') {
        say({ type: 'pong' });
      } else if (message.type === 'next' && message.payload?.data) {
        onData(message.payload.data);
      } else if (message.type === 'error') {
        current.close(1000);
      }
    };
    current.onclose = () => {
      if (current === socket) again();
    };
  }
  open();
  return stop;
}
