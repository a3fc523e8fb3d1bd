// Create a task: a JSON editor for the task definition, checked before it is sent (JSON syntax and
// the parts every task needs; the queue then checks the rest and its answer is shown).
import { call, p } from './api.js';
import { h, showError } from './dom.js';

const HOUR = 3600 * 1000;

/** A new task id: 22 characters of URL-safe base64 over a random UUID, starting with a letter or digit. */
export function slugId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  bytes[0] &= 0x7f; // a "nice" slug never starts with '-'
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function template(now = new Date()) {
  return {
    taskQueueId: 'local/tc-worker',
    created: now.toISOString(),
    deadline: new Date(now.getTime() + HOUR).toISOString(),
    expires: new Date(now.getTime() + 24 * HOUR).toISOString(),
    metadata: { name: 'hello from the dashboard', description: 'Created in the dashboard', owner: 'dashboard@localhost', source: location.origin + '/' },
    payload: { command: [['sh', '-c', 'echo hello; date']], maxRunTime: 600 },
  };
}

/** The problems of the editor's text, as messages naming where they are; empty when it can be sent. */
export function problems(text) {
  let task;
  try {
    task = JSON.parse(text);
  } catch (e) {
    return { problems: ['The definition is not JSON: ' + e.message] };
  }
  const found = [];
  if (typeof task !== 'object' || task === null || Array.isArray(task)) return { problems: ['The definition must be a JSON object'] };
  if (!task.taskQueueId && !(task.provisionerId && task.workerType)) found.push('taskQueueId: missing (e.g. local/tc-worker)');
  if (typeof task.payload !== 'object' || task.payload === null) found.push('payload: missing, or not an object');
  if (!task.metadata) found.push('metadata: missing (name, description, owner, source)');
  return { task, problems: found };
}

/**
 * The task with `created` moved to `now` and `deadline` and `expires` moved as much, so a
 * definition written a while ago keeps its durations. A task without a valid `created` is unchanged.
 */
export function refreshDates(task, now = Date.now()) {
  const created = Date.parse(task.created);
  if (Number.isNaN(created)) return task;
  const shift = now - created;
  for (const key of ['created', 'deadline', 'expires']) {
    const at = Date.parse(task[key]);
    if (!Number.isNaN(at)) task[key] = new Date(at + shift).toISOString();
  }
  return task;
}

export function createPage(main) {
  const editor = h('textarea', { class: 'editor', id: 'editor', spellcheck: 'false', 'aria-label': 'Task definition (JSON)' });
  editor.value = JSON.stringify(template(), null, 2);
  const list = h('ul', { class: 'problems', id: 'problems' });
  const message = h('div');
  const check = () => {
    const result = problems(editor.value);
    list.replaceChildren(...result.problems.map((m) => h('li', {}, m)));
    return result;
  };
  const submit = async (e) => {
    e.preventDefault();
    message.replaceChildren();
    const result = check();
    if (result.problems.length > 0) return;
    const taskId = slugId();
    const task = refreshDates(result.task);
    if (!task.taskGroupId) task.taskGroupId = taskId;
    try {
      await call('queue', `task/${p(taskId)}`, { method: 'PUT', body: task });
      location.hash = '#/tasks/' + p(taskId);
    } catch (err) {
      showError(message, err);
    }
  };
  main.append(
    h('h1', {}, 'Create a task'),
    h('p', { class: 'muted' }, 'The task definition in JSON. Dates may stay as they are: they are refreshed when you submit.'),
    h('form', { onsubmit: submit },
      editor,
      list,
      message,
      h('div', { class: 'actions' },
        h('button', { type: 'button', id: 'check', onclick: check }, 'Check'),
        h('button', { type: 'submit', id: 'submit' }, 'Create task'))));
}
