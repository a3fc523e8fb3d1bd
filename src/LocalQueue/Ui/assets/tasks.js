// The task list: every task of the local queue, newest first, filtered by task queue, state and
// task group, refreshed every two seconds (local-only listTasks).
import { call, p } from './api.js';
import { h, when, stateBadge, showError, poll } from './dom.js';

const STATES = ['', 'unscheduled', 'pending', 'running', 'completed', 'failed', 'exception'];
const REFRESH_MS = 2000;

export function tasksPage(main, _match, query) {
  performance.mark('tasks-start');
  const filters = { taskQueueId: query.get('taskQueueId') || '', state: query.get('state') || '', taskGroupId: query.get('taskGroupId') || '' };
  let shown = 50;
  let rendered = false;
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
      const page = await call('local', 'tasks', { query: { ...filters, limit: Math.min(shown, 1000) } });
      if (!rendered) performance.mark('tasks-answered');
      more.hidden = !page.continuationToken;
      message.replaceChildren(page.tasks.length === 0 ? h('p', { class: 'muted' }, 'No tasks match.') : '');
      body.replaceChildren(...page.tasks.map(row));
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

function row({ task, status }) {
  const name = (task.metadata && task.metadata.name) || status.taskId;
  return h('tr', { dataset: { taskId: status.taskId } },
    h('td', {}, h('a', { href: '#/tasks/' + p(status.taskId) }, name), h('div', { class: 'muted' }, status.taskId)),
    h('td', {}, stateBadge(status.state)),
    h('td', {}, h('a', { href: '#/?taskQueueId=' + p(status.taskQueueId) }, status.taskQueueId)),
    h('td', {}, h('a', { href: '#/?taskGroupId=' + p(status.taskGroupId) }, status.taskGroupId)),
    h('td', {}, when(task.created)));
}
