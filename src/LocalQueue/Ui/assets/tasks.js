// The task list: every task of the local queue, newest first, filtered by task queue, state and
// task group, refreshed every two seconds (local-only listTasks).
import { call, p } from './api.js';
import { h, when, showError, poll } from './dom.js';

const STATES = ['', 'unscheduled', 'pending', 'running', 'completed', 'failed', 'exception'];
const REFRESH_MS = 2000;

export function tasksPage(main, _match, query) {
  performance.mark('tasks-start');
  const filters = { taskQueueId: query.get('taskQueueId') || '', state: query.get('state') || '', taskGroupId: query.get('taskGroupId') || '' };
  let shown = 50;
  let rendered = false;
  // The first page is asked for before anything is built: signing and the server's answer overlap
  // building the form and the table.
  const fetchPage = () => call('local', 'tasks', { query: { ...filters, limit: Math.min(shown, 1000) } });
  let pending = fetchPage();
  pending.catch(() => {});
  const body = h('tbody');
  const message = h('div');
  const more = h('button', { type: 'button', onclick: () => { shown += 50; refresh(); } }, 'Load more');
  const queues = h('datalist', { id: 'task-queues' });
  const apply = (e) => {
    e.preventDefault();
    const data = new FormData(e.target);
    const search = new URLSearchParams();
    for (const key of Object.keys(filters)) if (data.get(key)) search.set(key, String(data.get(key)));
    location.hash = '#/' + (search.toString() ? '?' + search : '');
  };
  main.append(
    h('h1', {}, 'Tasks'),
    h('form', { class: 'filters', onsubmit: apply },
      h('label', {}, 'Task queue', h('input', { name: 'taskQueueId', value: filters.taskQueueId, list: 'task-queues', placeholder: 'provisioner/worker-type' })),
      h('label', {}, 'State', h('select', { name: 'state' }, STATES.map((s) => h('option', { value: s, selected: s === filters.state }, s || 'any')))),
      h('label', {}, 'Task group', h('input', { name: 'taskGroupId', value: filters.taskGroupId, placeholder: 'taskGroupId' })),
      h('button', { type: 'submit' }, 'Filter'),
      queues),
    message,
    h('table', { id: 'tasks' },
      h('thead', {}, h('tr', {}, ['Task', 'State', 'Task queue', 'Task group', 'Created'].map((t) => h('th', {}, t)))),
      body),
    h('p', {}, more));

  async function refresh() {
    try {
      const answer = pending || fetchPage();
      pending = null;
      const page = await answer;
      if (!rendered) performance.mark('tasks-answered');
      more.hidden = !page.continuationToken;
      message.replaceChildren(page.tasks.length === 0 ? h('p', { class: 'muted' }, 'No tasks match.') : '');
      body.replaceChildren(...page.tasks.map(row, prototype()));
      if (!rendered) {
        // what the benchmark reads: the first page in the DOM, then painted
        rendered = true;
        performance.mark('tasks-rendered');
        requestAnimationFrame(() => setTimeout(() => performance.mark('tasks-painted')));
      }
    } catch (e) {
      body.replaceChildren();
      more.hidden = true;
      showError(message, e);
    }
  }

  // The filter's suggestions wait for the first page: the rows come first.
  const suggest = () => call('queue', 'task-queues').then((list) => {
    queues.replaceChildren(...list.taskQueues.map((q) => h('option', { value: q.taskQueueId })));
  }, () => {});
  let first = true;
  const stop = poll(async () => {
    await refresh();
    if (first) { first = false; suggest(); }
  }, REFRESH_MS);
  return { dispose: stop };
}

// One table row, built once and cloned for every task: cloning a row and filling in its text and
// links costs a fraction of building its dozen elements one by one.
let rowPrototype = null;

function prototype() {
  rowPrototype ??= h('tr', {},
    h('td', {}, h('a'), h('div', { class: 'muted' })),
    h('td', {}, h('span', { class: 'state' })),
    h('td', {}, h('a')),
    h('td', {}, h('a')),
    h('td'));
  return rowPrototype;
}

/** A row of the table for `{task, status}`; `this` is the prototype row. Text goes in as text, never as markup. */
function row({ task, status }) {
  const tr = this.cloneNode(true);
  const [id, state, queue, group, created] = tr.children;
  tr.dataset.taskId = status.taskId;
  id.firstChild.href = '#/tasks/' + p(status.taskId);
  id.firstChild.textContent = (task.metadata && task.metadata.name) || status.taskId;
  id.lastChild.textContent = status.taskId;
  state.firstChild.className = 'state state-' + status.state;
  state.firstChild.dataset.state = status.state;
  state.firstChild.textContent = status.state;
  queue.firstChild.href = '#/?taskQueueId=' + p(status.taskQueueId);
  queue.firstChild.textContent = status.taskQueueId;
  group.firstChild.href = '#/?taskGroupId=' + p(status.taskGroupId);
  group.firstChild.textContent = status.taskGroupId;
  created.textContent = when(task.created);
  return tr;
}
