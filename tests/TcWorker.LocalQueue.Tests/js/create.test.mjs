// Unit tests of the dashboard's task editor checks (no DOM): YAML and JSON, and the payload checked
// against a payload schema with each error's path and line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { problems, problemText, pathText, refreshDates, slugId } from '../../../src/LocalQueue/Ui/assets/create.js';

// The editor's libraries as the build bundles them (npm ci and esbuild, run by the LocalQueue build).
const libraries = await import('../../../src/LocalQueue/Editor/dist/editor-libs.js');

const schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['command', 'maxRunTime'],
  properties: {
    command: { type: 'array', items: { type: 'array', items: { type: 'string' } } },
    maxRunTime: { $ref: '#/definitions/seconds' },
  },
  definitions: { seconds: { type: 'integer', minimum: 1 } },
};

const yamlTask = `taskQueueId: local/tc-worker
metadata:
  name: n
payload:
  command:
    - [sh, -c, 'echo hi']
  maxRunTime: 600
`;

test('the editor names a definition that is neither YAML nor JSON, with its line', () => {
  const result = problems('{"payload": \n  [1,', libraries);
  assert.equal(result.task, undefined);
  assert.ok(result.problems.length >= 1);
  assert.match(result.problems[0].message, /not YAML or JSON/);
  assert.equal(typeof result.problems[0].line, 'number');
});

test('the editor names each missing part of a task', () => {
  const result = problems('{}', libraries);
  assert.deepEqual(result.problems.map((p) => p.path), ['taskQueueId', 'payload', 'metadata']);
});

test('a complete JSON definition has no problems', () => {
  const result = problems(JSON.stringify({ taskQueueId: 'a/b', payload: {}, metadata: { name: 'n' } }), libraries);
  assert.deepEqual(result.problems, []);
  assert.equal(result.task.taskQueueId, 'a/b');
});

test('a YAML definition is read as the same task', () => {
  const result = problems(yamlTask, libraries, schema);
  assert.deepEqual(result.problems, []);
  assert.deepEqual(result.task.payload, { command: [['sh', '-c', 'echo hi']], maxRunTime: 600 });
});

test('a payload that breaks the schema is named by path and line, innermost errors only', () => {
  const text = yamlTask.replace('maxRunTime: 600', 'maxRunTime: 0\n  mounts: []').replace("'echo hi'", '3');
  const found = problems(text, libraries, schema).problems;
  assert.deepEqual(found.map((p) => [p.path, p.line]), [['payload.command[0][2]', 6], ['payload.maxRunTime', 7], ['payload.mounts', 8]]);
  assert.match(problemText(found[1]), /^line 7: payload\.maxRunTime: .*less than 1/);
  assert.match(found[2].message, /not allowed/);
});

test('a missing required payload key is reported at the payload', () => {
  const found = problems(yamlTask.replace('  maxRunTime: 600\n', ''), libraries, schema).problems;
  assert.deepEqual(found.map((p) => [p.path, p.line]), [['payload', 4]]);
  assert.match(found[0].message, /maxRunTime/);
});

test('without a payload schema the payload is not checked', () => {
  const result = problems(yamlTask.replace('maxRunTime: 600', 'maxRunTime: nope'), libraries, null);
  assert.deepEqual(result.problems, []);
});

test('paths name keys and indexes as a reader writes them', () => {
  assert.equal(pathText(['payload', 'command', '0', '2']), 'payload.command[0][2]');
  assert.equal(pathText(['payload', 'env', 'A B']), 'payload.env["A B"]');
});

test('task ids are 22 URL-safe characters and never start with a dash', () => {
  for (let i = 0; i < 200; i++) {
    const id = slugId();
    assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  }
});

test('submitting moves the dates to now and keeps the durations between them', () => {
  const task = { created: '2026-01-01T00:00:00.000Z', deadline: '2026-01-01T01:00:00.000Z', expires: '2026-01-02T00:00:00.000Z' };
  const now = Date.parse('2026-06-01T12:00:00.000Z');
  refreshDates(task, now);
  assert.equal(task.created, '2026-06-01T12:00:00.000Z');
  assert.equal(task.deadline, '2026-06-01T13:00:00.000Z');
  assert.equal(task.expires, '2026-06-02T12:00:00.000Z');
});
