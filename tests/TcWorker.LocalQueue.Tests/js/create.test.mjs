// Unit tests of the dashboard's task editor checks (no DOM).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { problems, slugId } from '../../../src/LocalQueue/Ui/assets/create.js';

test('the editor names a definition that is not JSON', () => {
  const result = problems('{"payload": ');
  assert.equal(result.problems.length, 1);
  assert.match(result.problems[0], /not JSON/);
});

test('the editor names each missing part of a task', () => {
  const result = problems('{}');
  assert.deepEqual(result.problems.map((p) => p.split(':')[0]), ['taskQueueId', 'payload', 'metadata']);
});

test('a complete definition has no problems', () => {
  const result = problems(JSON.stringify({ taskQueueId: 'a/b', payload: {}, metadata: { name: 'n' } }));
  assert.deepEqual(result.problems, []);
  assert.equal(result.task.taskQueueId, 'a/b');
});

test('task ids are 22 URL-safe characters and never start with a dash', () => {
  for (let i = 0; i < 200; i++) {
    const id = slugId();
    assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  }
});
