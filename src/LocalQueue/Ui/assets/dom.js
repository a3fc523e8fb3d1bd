// Small DOM helpers: elements are built with text nodes, never from HTML strings, so nothing a
// task carries (names, logs, artifact names) is ever interpreted as markup.
import { ApiError } from './api.js';

/** An element with attributes (`on*` functions become listeners) and children (strings are text). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// Dates are formatted by hand as local `YYYY-MM-DD hh:mm:ss`: the first Intl.DateTimeFormat of a page
// loads the locale's data, which costs a fresh page tens of milliseconds (more than the rest of
// the task list's first page), and the same text reads well in every locale.
const two = (n) => (n < 10 ? '0' : '') + n;

/** A date as local time (`YYYY-MM-DD hh:mm:ss`), or a dash; an unreadable date is shown as given. */
export function when(date) {
  if (!date) return '–';
  const d = new Date(date);
  if (Number.isNaN(d.getTime())) return String(date);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

export function stateBadge(state) {
  return h('span', { class: 'state state-' + state, dataset: { state } }, state);
}

/** Replaces `target`'s content with the error; a refusal says which credentials would help. */
export function showError(target, error) {
  const box = h('div', { class: 'error', role: 'alert' });
  if (error instanceof ApiError && (error.code === 'InsufficientScopes' || error.status === 401 || error.status === 403)) {
    box.append(h('strong', {}, 'Refused: '), 'this needs credentials with more scopes. Sign in above.\n\n', error.message);
  } else {
    box.append(String(error && error.message ? error.message : error));
  }
  target.replaceChildren(box);
}

/** Runs `refresh` now and every `ms` until the returned function is called. */
export function poll(refresh, ms) {
  let stopped = false;
  let timer = 0;
  const tick = async () => {
    try { await refresh(); } finally { if (!stopped) timer = setTimeout(tick, ms); }
  };
  tick();
  return () => { stopped = true; clearTimeout(timer); };
}
