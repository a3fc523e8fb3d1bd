// The local queue's dashboard: a hash-routed page over the queue's API. Every call is signed in
// the browser (api.js); without credentials the page gets only what anonymous callers may see.
import { credentials, setCredentials } from './api.js';
import { h, showError } from './dom.js';
import { tasksPage } from './tasks.js';

// The task list, where most visits start, comes with the page (bundled with this module and
// written into index.html at build time); every other page's module is loaded from /ui/ when its
// route is first opened (by absolute path: the bundle runs as the page's own script), so the list
// waits for neither the log viewer nor the editor. Those modules import api.js and dom.js
// themselves: they hold no state the bundle's copies must share (credentials live in
// sessionStorage).
const routes = [
  [/^\/?$/, () => ({ tasksPage }), 'tasksPage'],
  [/^\/tasks\/([^/]+)$/, () => import('/ui/task.js'), 'taskPage'],
  [/^\/tasks\/([^/]+)\/runs\/(\d+)\/log$/, () => import('/ui/task.js'), 'logPage'],
  [/^\/create$/, () => import('/ui/create.js'), 'createPage'],
  [/^\/workers$/, () => import('/ui/workers.js'), 'workersPage'],
];

let current = null;
let navigation = 0;

function parseHash() {
  const hash = decodeURIComponent(location.hash.replace(/^#/, '')) || '/';
  const [path, search = ''] = hash.split('?');
  return { path, query: new URLSearchParams(search) };
}

async function route() {
  const { path, query } = parseHash();
  if (current && current.path === path && current.page.update) {
    current.page.update(query);
    return;
  }
  if (current && current.page.dispose) current.page.dispose();
  current = null;
  const mine = ++navigation;
  const main = document.getElementById('main');
  main.replaceChildren();
  for (const [pattern, load, name] of routes) {
    const match = pattern.exec(path);
    if (match) {
      let module;
      try {
        module = await load();
      } catch (e) {
        if (mine === navigation) showError(main, e);
        return;
      }
      // another route was opened while this one's module loaded
      if (mine !== navigation) return;
      current = { path, page: module[name](main, match.slice(1), query) || {} };
      return;
    }
  }
  main.append(h('h1', {}, 'Not found'), h('p', {}, 'No page at ', h('code', {}, path), '. ', h('a', { href: '#/' }, 'Tasks')));
}

function showWho() {
  const form = document.getElementById('sign-in');
  const creds = credentials();
  form.classList.toggle('signed-in', !!creds);
  document.getElementById('who').textContent = creds ? 'signed in as ' + creds.clientId : 'anonymous';
}

function signIn() {
  const form = document.getElementById('sign-in');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const clientId = String(data.get('clientId') || '').trim();
    const accessToken = String(data.get('accessToken') || '').trim();
    const certificate = String(data.get('certificate') || '').trim();
    if (!clientId || !accessToken) return;
    setCredentials({ clientId, accessToken, ...(certificate ? { certificate } : {}) });
    form.reset();
    showWho();
    current = null;
    route();
  });
  document.getElementById('sign-out-button').addEventListener('click', () => {
    setCredentials(null);
    showWho();
    current = null;
    route();
  });
  // A sign-in link (`#credentials=<base64 JSON>`, as `tc-worker run --ui` writes): kept for this
  // tab, then removed from the address bar and the history.
  const link = /^#credentials=([^&]+)$/.exec(location.hash);
  if (link) {
    try {
      const value = JSON.parse(atob(decodeURIComponent(link[1])));
      if (value.clientId && value.accessToken) setCredentials(value);
    } catch {
      // not a sign-in link after all
    }
    history.replaceState(null, '', location.pathname + '#/');
  }
}

signIn();
showWho();
window.addEventListener('hashchange', route);
route();
