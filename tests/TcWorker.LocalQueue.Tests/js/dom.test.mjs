// Unit tests of the dashboard's DOM-free helpers: how dates are shown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { when } from '../../../src/LocalQueue/Ui/assets/dom.js';

function inZone(zone, action) {
  const before = process.env.TZ;
  process.env.TZ = zone;
  try {
    return action();
  } finally {
    if (before === undefined) delete process.env.TZ;
    else process.env.TZ = before;
  }
}

test('a date is shown as local time, YYYY-MM-DD hh:mm:ss', () => {
  assert.equal(inZone('UTC', () => when('2026-12-08T00:05:09.123Z')), '2026-12-08 00:05:09');
  assert.equal(inZone('Asia/Kolkata', () => when('2026-12-08T00:05:09.123Z')), '2026-12-08 05:35:09');
  assert.equal(inZone('America/New_York', () => when('2026-01-01T03:00:00.000Z')), '2025-12-31 22:00:00');
});

test('a missing date is a dash, and an unreadable one is shown as given', () => {
  assert.equal(when(undefined), '–');
  assert.equal(when(''), '–');
  assert.equal(when('not a date'), 'not a date');
});

// The first Intl.DateTimeFormat of a page loads the locale's data, which costs a fresh page more
// than the rest of the task list's first page: the table's dates never ask for one.
test('dates are formatted without Intl', () => {
  const original = Intl.DateTimeFormat;
  const toLocaleString = Date.prototype.toLocaleString;
  Intl.DateTimeFormat = function () { throw new Error('Intl.DateTimeFormat was used'); };
  Date.prototype.toLocaleString = function () { throw new Error('toLocaleString was used'); };
  try {
    assert.match(when('2026-12-08T00:05:09.123Z'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  } finally {
    Intl.DateTimeFormat = original;
    Date.prototype.toLocaleString = toLocaleString;
  }
});
