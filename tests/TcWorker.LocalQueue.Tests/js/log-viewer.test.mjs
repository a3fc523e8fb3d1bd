// Unit tests of the log viewer's text handling (no DOM): run by node's test runner from
// JavaScriptUnitTests.cs, so each one counts in ./test.sh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAnsi, plainText, applySgr, styleAfter, LineSplitter } from '../../../src/LogViewer/assets/log-viewer.js';

test('a line without escapes is one run in the style it starts with', () => {
  const { runs, style } = parseAnsi('plain text');
  assert.deepEqual(runs.map((r) => r.text), ['plain text']);
  assert.deepEqual(style, {});
});

test('SGR colours split a line into styled runs and reset ends them', () => {
  const { runs, style } = parseAnsi('a \u001b[31mred\u001b[0m b');
  assert.deepEqual(runs.map((r) => r.text), ['a ', 'red', ' b']);
  assert.equal(runs[1].style.fg, 'var(--ansi-red)');
  assert.deepEqual(runs[2].style, {});
  assert.deepEqual(style, {});
});

test('a style left open carries over to the next line', () => {
  const first = parseAnsi('\u001b[1;32mgreen and bold');
  const second = parseAnsi('still green', first.style);
  assert.equal(second.runs[0].style.fg, 'var(--ansi-green)');
  assert.equal(second.runs[0].style.bold, true);
});

test('256 and 24-bit colours become rgb values', () => {
  assert.equal(applySgr({}, '38;5;196').fg, 'rgb(255,0,0)');
  assert.equal(applySgr({}, '48;2;1;2;3').bg, 'rgb(1,2,3)');
  assert.equal(applySgr({}, '38;5;244').fg, 'rgb(128,128,128)');
});

test('other escape sequences (cursor moves, titles) are dropped from the text', () => {
  assert.equal(plainText('\u001b[2Kprogress\u001b]0;title\u0007 done\u001b[0m'), 'progress done');
});

test('the splitter keeps an unfinished line until its end arrives, and drops carriage returns', () => {
  const splitter = new LineSplitter();
  assert.deepEqual(splitter.push('one\r\ntw'), ['one']);
  assert.deepEqual(splitter.push('o\nthree'), ['two']);
  assert.deepEqual(splitter.end(), ['three']);
  assert.deepEqual(splitter.end(), []);
});

test('the style after a line is the one full parsing gives, a final plain reset included', () => {
  const lines = ['plain', 'a \u001b[31mred\u001b[0m', '\u001b[1;32mgreen', 'still \u001b[m', '\u001b[0mreset then \u001b[34mblue', 'x\u001b[0;35m', 'title \u001b]0;t\u0007'];
  let parsed = {};
  let fast = {};
  for (const line of lines) {
    parsed = parseAnsi(line, parsed).style;
    fast = styleAfter(line, fast);
    assert.deepEqual(fast, parsed, line);
  }
  assert.equal(styleAfter('plain', { bold: true }).bold, true);
  assert.deepEqual(styleAfter('\u001b[1mbold\u001b[0m', { fg: 'x' }), {});
});
