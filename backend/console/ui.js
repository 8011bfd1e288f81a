// Building blocks for the pages: elements, labelled fields, forms that show the API's errors next
// to what they concern, tables, confirmations and dates.

/** `h('button', { class: 'primary', onclick }, 'Save')`: an element with attributes and children. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else if (name === 'value') element.value = value;
    else if (name === 'checked') element.checked = value;
    // Through the CSSOM: the console's Content-Security-Policy refuses inline style attributes.
    else if (name === 'style') Object.assign(element.style, value);
    else element.setAttribute(name, value === true ? '' : value);
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces everything in `element`. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

let ids = 0;
function nextId(prefix) {
  ids += 1;
  return `${prefix}-${ids}`;
}

/**
 * A labelled control. `name` is the API's field name, so an error the API reports for that field
 * lands under it. `hint` says what the field expects.
 */
export function field(label, control, { name = control.name, hint = null } = {}) {
  const id = control.id || nextId('field');
  control.id = id;
  if (name) control.name = name;
  const hintEl = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  const error = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
  control.setAttribute('aria-describedby', [hintEl?.id, error.id].filter(Boolean).join(' '));
  const wrapper = h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl, error);
  wrapper.dataset.field = name ?? '';
  return wrapper;
}

export function input(attributes = {}) {
  return h('input', { type: 'text', ...attributes });
}

export function select(options, attributes = {}) {
  return h(
    'select',
    attributes,
    options.map(([value, text]) => h('option', { value }, text)),
  );
}

/** The API's error in words, and where it came from. */
export function describe(error) {
  if (error?.code === 'FORBIDDEN' && error.reason !== 'ELEVATION_REQUIRED') {
    return `Not allowed: ${error.message}`;
  }
  return error?.message ?? String(error);
}

/**
 * A form whose submit runs `action(values)` with the button busy, then shows the error (under the
 * field the API named, or under the button) or calls nothing more: `action` shows the success.
 */
export function form({ fields, submit, action, busy = 'Working…', extra = [] }) {
  const button = h('button', { type: 'submit', class: 'primary' }, submit);
  const problem = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const element = h('form', { novalidate: true }, fields, h('div', { class: 'actions' }, button, extra), problem);
  element.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(element, problem);
    const values = Object.fromEntries(
      [...element.elements]
        .filter((control) => control.name && control.type !== 'submit')
        .map((control) => [control.name, valueOf(control)]),
    );
    button.disabled = true;
    button.textContent = busy;
    element.setAttribute('aria-busy', 'true');
    try {
      await action(values, element);
    } catch (error) {
      showError(element, problem, error);
    } finally {
      button.disabled = false;
      button.textContent = submit;
      element.removeAttribute('aria-busy');
    }
  });
  return element;
}

/** A control's value as the API takes it; passwords exactly as typed. */
function valueOf(control) {
  if (control.type === 'checkbox') return control.checked;
  return control.type === 'password' ? control.value : control.value.trim();
}

function clearErrors(formElement, problem) {
  problem.hidden = true;
  for (const error of formElement.querySelectorAll('.field-error')) {
    error.hidden = true;
    error.textContent = '';
  }
  for (const control of formElement.querySelectorAll('[aria-invalid]')) control.removeAttribute('aria-invalid');
}

function showError(formElement, problem, error) {
  const name = error?.field?.split('.').pop();
  const wrapper = name
    ? [...formElement.querySelectorAll('.field')].find((f) => f.dataset.field === name)
    : null;
  if (wrapper) {
    const slot = wrapper.querySelector('.field-error');
    slot.textContent = describe(error);
    slot.hidden = false;
    const control = wrapper.querySelector('input, select, textarea');
    control.setAttribute('aria-invalid', 'true');
    control.focus();
    return;
  }
  problem.textContent = describe(error);
  problem.hidden = false;
}

/** An action button next to a row: busy while it runs, its error shown beside it. */
export function actionButton(label, action, { danger = false, busy = 'Working…', name = null } = {}) {
  const problem = h('span', { class: 'inline-error', role: 'alert' });
  // `name` tells rows apart for screen readers: "Revoke billing backend", not "Revoke".
  const button = h('button', { type: 'button', class: danger ? 'danger' : null, 'aria-label': name }, label);
  button.addEventListener('click', async () => {
    problem.textContent = '';
    button.disabled = true;
    button.textContent = busy;
    try {
      await action();
    } catch (error) {
      problem.textContent = describe(error);
    } finally {
      if (button.isConnected) {
        button.disabled = false;
        button.textContent = label;
      }
    }
  });
  return h('span', { class: 'row-action' }, button, problem);
}

/** A table, or `empty` (what to do next) when there are no rows. */
export function table(columns, rows, empty) {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, columns.map(([title]) => h('th', { scope: 'col' }, title || h('span', { class: 'visually-hidden' }, 'Actions'))))),
      h(
        'tbody',
        {},
        rows.map((row) => h('tr', {}, columns.map(([title, cell]) => h('td', { 'data-label': title }, cell(row))))),
      ),
    ),
  );
}

/** Asks before something that cannot be undone; resolves true when confirmed. */
export function confirm({ title, message, action, danger = true }) {
  return new Promise((resolve) => {
    const dialog = h(
      'dialog',
      { 'aria-labelledby': 'confirm-title' },
      h('h2', { id: 'confirm-title' }, title),
      h('p', {}, message),
      h(
        'form',
        { method: 'dialog', class: 'actions' },
        h('button', { value: 'yes', class: danger ? 'danger' : 'primary' }, action),
        h('button', { value: 'no', autofocus: true }, 'Cancel'),
      ),
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'yes');
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Why `address` is not an email address, in words, or null; the API has the last word. */
export function emailProblem(address) {
  if (!address) return 'Enter an email address.';
  return /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(address) ? null : `“${address}” is not an email address, like dana@example.com.`;
}

/** A catalog key in words: `TAXI_PASSENGER` → "Taxi passenger"; no app → "Platform hosts". */
export function appName(key) {
  if (!key) return 'Platform hosts';
  const words = key.toLowerCase().split('_').join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A page heading with its purpose in one line. */
export function heading(title, purpose) {
  return [h('h1', {}, title), purpose ? h('p', { class: 'lead' }, purpose) : null];
}

export function when(value) {
  if (!value) return '—';
  const date = new Date(value);
  return h('time', { datetime: date.toISOString(), title: date.toISOString() }, date.toLocaleString());
}

/** A status line that screen readers announce. */
export function status(text = '') {
  return h('p', { class: 'status', role: 'status' }, text);
}

/** A message that the page could not load, with the reason. */
export function failure(error) {
  return h('p', { class: 'form-error', role: 'alert' }, describe(error));
}

/** Copies `text` (or what `text()` gives when clicked) and says so on the button. */
export function copyButton(text, label = 'Copy') {
  const button = h('button', { type: 'button' }, label);
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(typeof text === 'function' ? text() : text);
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Select and copy it by hand';
    }
    setTimeout(() => {
      button.textContent = label;
    }, 2000);
  });
  return button;
}

/** `path` on another of the tenant's hosts, reached the way this console was (scheme, port). */
export function hostUrl(host, path = '/') {
  return `${location.protocol}//${host}${location.port ? `:${location.port}` : ''}${path}`;
}

/** Calls `fn` once typing pauses. */
export function debounce(fn, ms = 300) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
