// Unit tests of the dashboard's task editor checks (no DOM).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { problems, refreshDates, slugId } from '../../../src/LocalQueue/Ui/assets/create.js';

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

test('submitting moves the dates to now and keeps the durations between them', () => {
  const task = { created: '2026-01-01T00:00:00.000Z', deadline: '2026-01-01T01:00:00.000Z', expires: '2026-01-02T00:00:00.000Z' };
  const now = Date.parse('2026-06-01T12:00:00.000Z');
  refreshDates(task, now);
  assert.equal(task.created, '2026-06-01T12:00:00.000Z');
  assert.equal(task.deadline, '2026-06-01T13:00:00.000Z');
  assert.equal(task.expires, '2026-06-02T12:00:00.000Z');
});
