// Talking to this host: a JSON request, and an error that says in words what the server refused.

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

export async function readError(response) {
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
  return new ApiError(sentence(detail), { status: response.status, reason });
}

/**
 * The server's words as a sentence: a capital first (unless it starts with a name, such as a host
 * or an address, which keeps its case) and a full stop last.
 */
export function sentence(text) {
  const trimmed = String(text ?? '').trim();
  if (!trimmed) return trimmed;
  const capital = /^[a-z]+(?=[\s:,]|$)/.test(trimmed) ? trimmed[0].toUpperCase() + trimmed.slice(1) : trimmed;
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

export async function send(path, { method = 'POST', body, token } = {}) {
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
