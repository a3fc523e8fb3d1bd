// Create a task: a YAML or JSON editor for the task definition, checked before it is sent (syntax,
// the parts every task needs, and the payload against the payload schema of the queue's worker
// config when it has one); the queue then checks the rest and its answer is shown.
import { call, p, ApiError } from './api.js';
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

/** The editor's libraries (YAML parser, JSON-schema validator), bundled at build time; loaded when the editor opens. */
export function loadLibraries() {
  return import('./editor-libs.js');
}

/**
 * The problems of the editor's text (YAML, or JSON, which is YAML too), each {path, line, message}:
 * `path` names where in the definition (`payload.command[0]`), `line` is its 1-based line in the
 * text. Without a payload schema only the parts every task needs are checked; with one (the
 * composed payload schema of the queue's worker config) the payload is validated against it.
 * Returns {task, problems}; `task` is undefined when the text is not a definition at all.
 */
export function problems(text, libraries, payloadSchema) {
  const { parseDocument, LineCounter } = libraries;
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((e) => ({ path: '', line: lines.linePos(e.pos[0]).line, message: 'not YAML or JSON: ' + e.message })),
    };
  }
  const task = doc.toJS({ maxAliasCount: 100 });
  const where = (path) => ({ path: pathText(path), line: lineOf(doc, lines, path, libraries) });
  if (typeof task !== 'object' || task === null || Array.isArray(task)) {
    return { problems: [{ path: '', line: 1, message: 'the definition must be an object (a YAML mapping or a JSON object)' }] };
  }
  const found = [];
  if (!task.taskQueueId && !(task.provisionerId && task.workerType)) found.push({ ...where([]), path: 'taskQueueId', message: 'missing (e.g. local/tc-worker)' });
  if (typeof task.payload !== 'object' || task.payload === null || Array.isArray(task.payload)) found.push({ ...where(['payload']), path: 'payload', message: 'missing, or not an object' });
  if (!task.metadata) found.push({ ...where([]), path: 'metadata', message: 'missing (name, description, owner, source)' });
  if (payloadSchema && found.length === 0) {
    for (const error of schemaErrors(libraries, payloadSchema, task.payload)) {
      const path = ['payload', ...error.path];
      found.push({ ...where(path), message: error.message });
    }
  }
  return { task, problems: found };
}

/** A problem as the page shows it: `line 7: payload.maxRunTime: must be ...`. */
export function problemText(problem) {
  return (problem.line ? 'line ' + problem.line + ': ' : '') + (problem.path ? problem.path + ': ' : '') + problem.message;
}

/**
 * The payload's errors against the schema, each {path: [keys and indexes], message}. The validator
 * reports every level of a nested failure ("property x does not match"); only the innermost, which
 * says what is wrong, are kept.
 */
export function schemaErrors(libraries, schema, payload) {
  const result = new libraries.Validator(schema, draftOf(schema), false).validate(payload);
  if (result.valid) return [];
  const errors = result.errors;
  const kept = [];
  const extra = new Set();
  for (const e of errors) {
    if (e.keyword === 'additionalProperties') {
      const name = /Property "(.*)" does not match additional properties schema/.exec(e.error);
      if (name) {
        const path = [...pointer(e.instanceLocation), name[1]];
        extra.add(path.join('\u0000'));
        kept.push({ path, message: 'not allowed here: the payload schema has no such key' });
        continue;
      }
    }
    const deeper = errors.some((other) => other !== e && other.keywordLocation.startsWith(e.keywordLocation + '/'));
    if (deeper) continue;
    kept.push({ path: pointer(e.instanceLocation), message: e.error, keyword: e.keyword });
  }
  // "False boolean schema" under a key already reported as not allowed says it again
  return kept.filter((k) => !(k.keyword === 'false' && extra.has(k.path.join('\u0000')))).map(({ path, message }) => ({ path, message }));
}

function draftOf(schema) {
  const id = String(schema.$schema || '');
  if (id.includes('draft-04')) return '4';
  if (id.includes('2019-09')) return '2019-09';
  if (id.includes('2020-12')) return '2020-12';
  return '7';
}

/** `#/payload/command/0` as keys: ['payload', 'command', '0']. */
function pointer(location) {
  return location.replace(/^#\/?/, '').split('/').filter((t) => t.length > 0)
    .map((t) => decodeURIComponent(t).replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** ['payload', 'command', '0'] as `payload.command[0]`. */
export function pathText(path) {
  let text = '';
  for (const key of path) {
    if (/^\d+$/.test(key)) text += '[' + key + ']';
    else if (/^[A-Za-z_$][\w$-]*$/.test(key)) text += (text ? '.' : '') + key;
    else text += '[' + JSON.stringify(key) + ']';
  }
  return text;
}

/** The 1-based line of a path in the text: of its key in a mapping, of its item in a sequence; as deep as it exists. */
function lineOf(doc, lines, path, { isMap, isSeq }) {
  let node = doc.contents;
  let at = node && node.range ? node.range[0] : 0;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => item.key && String(item.key.value ?? item.key) === key);
      if (!pair) break;
      if (pair.key && pair.key.range) at = pair.key.range[0];
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(key)];
      if (!item) break;
      if (item.range) at = item.range[0];
      node = item;
    } else {
      break;
    }
  }
  return lines.linePos(at).line;
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
  const editor = h('textarea', { class: 'editor', id: 'editor', spellcheck: 'false', 'aria-label': 'Task definition (YAML or JSON)' });
  editor.value = JSON.stringify(template(), null, 2);
  const list = h('ul', { class: 'problems', id: 'problems' });
  const schemaNote = h('p', { class: 'muted', id: 'schema-note' }, 'Loading the payload schema…');
  const message = h('div');
  let disposed = false;
  // The libraries, and the payload schema of the queue's worker config (null: there is none).
  const ready = Promise.all([loadLibraries(), payloadSchema()]).then(([libraries, schema]) => {
    if (!disposed) schemaNote.replaceChildren(schema.note);
    return { libraries, schema: schema.schema };
  });
  const check = async () => {
    const { libraries, schema } = await ready;
    const result = problems(editor.value, libraries, schema);
    list.replaceChildren(...result.problems.map((problem) => h('li', { dataset: { line: problem.line || '', path: problem.path } }, problemText(problem))));
    list.dataset.checked = result.problems.length === 0 ? 'ok' : 'problems';
    return result;
  };
  const submit = async (e) => {
    e.preventDefault();
    message.replaceChildren();
    const result = await check();
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
  ready.catch((err) => showError(message, err));
  main.append(
    h('h1', {}, 'Create a task'),
    h('p', { class: 'muted' }, 'The task definition in YAML or JSON. Dates may stay as they are: they are refreshed when you submit.'),
    schemaNote,
    h('form', { onsubmit: submit },
      editor,
      list,
      message,
      h('div', { class: 'actions' },
        h('button', { type: 'button', id: 'check', onclick: () => { check(); } }, 'Check'),
        h('button', { type: 'submit', id: 'submit' }, 'Create task'))));
  return { dispose: () => { disposed = true; } };
}

/** The queue's payload schema (local-only getPayloadSchema): {schema, note}; schema is null without one. */
async function payloadSchema() {
  try {
    const answer = await call('local', 'payload-schema');
    return { schema: answer.schema, note: 'The payload is checked against the payload schema of the queue\'s worker config.' };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      return { schema: null, note: 'The queue was started without a worker config: only the parts every task needs are checked here; the worker checks the payload when it claims the task.' };
    }
    return { schema: null, note: 'The payload schema could not be read (' + err.message + '): only the parts every task needs are checked here.' };
  }
}
