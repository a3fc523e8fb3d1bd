// The task log viewer: follows a log over HTTP, renders ANSI colours, numbers and links every
// line, searches and jumps to the first error. Only the visible lines are in the DOM, so millions
// of lines, or a log growing at many MiB/s, cost no more to show than a screenful.

const ERROR = /\b(error|fatal|failed|failure|panic)\b|exception\b/i;
const ESC = '\u001b';
const SGR = /\u001b\[([0-9;]*)m/g;
const OTHER_ESCAPES = /\u001b\[[0-9;?]*[A-Za-z]|\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)|\u001b[()][0-9A-B]/g;
const EMPTY_STYLE = Object.freeze({});

/** Text without escape sequences: what search and error detection look at. */
export function plainText(line) {
  // OTHER_ESCAPES covers SGR too (any CSI): one pass removes every escape
  return line.indexOf(ESC) < 0 ? line : line.replace(OTHER_ESCAPES, '');
}

const BASIC = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'];

function color256(n) {
  if (n < 16) return 'var(--ansi-' + (n < 8 ? BASIC[n] : 'bright-' + BASIC[n - 8]) + ')';
  if (n < 232) {
    const v = [0, 95, 135, 175, 215, 255];
    const i = n - 16;
    return `rgb(${v[Math.floor(i / 36)]},${v[Math.floor(i / 6) % 6]},${v[i % 6]})`;
  }
  const g = 8 + (n - 232) * 10;
  return `rgb(${g},${g},${g})`;
}

/** The style after applying one SGR parameter list to `style` (which is never changed). */
export function applySgr(style, params) {
  const next = { ...style };
  const codes = params === '' ? [0] : params.split(';').map((p) => (p === '' ? 0 : Number(p)));
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c === 0) { for (const k of Object.keys(next)) delete next[k]; }
    else if (c === 1) next.bold = true;
    else if (c === 2) next.dim = true;
    else if (c === 3) next.italic = true;
    else if (c === 4) next.underline = true;
    else if (c === 7) next.inverse = true;
    else if (c === 22) { delete next.bold; delete next.dim; }
    else if (c === 23) delete next.italic;
    else if (c === 24) delete next.underline;
    else if (c === 27) delete next.inverse;
    else if (c >= 30 && c <= 37) next.fg = 'var(--ansi-' + BASIC[c - 30] + ')';
    else if (c >= 90 && c <= 97) next.fg = 'var(--ansi-bright-' + BASIC[c - 90] + ')';
    else if (c >= 40 && c <= 47) next.bg = 'var(--ansi-' + BASIC[c - 40] + ')';
    else if (c >= 100 && c <= 107) next.bg = 'var(--ansi-bright-' + BASIC[c - 100] + ')';
    else if (c === 39) delete next.fg;
    else if (c === 49) delete next.bg;
    else if (c === 38 || c === 48) {
      const key = c === 38 ? 'fg' : 'bg';
      if (codes[i + 1] === 5 && i + 2 < codes.length) { next[key] = color256(codes[i + 2] & 255); i += 2; }
      else if (codes[i + 1] === 2 && i + 4 < codes.length) {
        next[key] = `rgb(${codes[i + 2] & 255},${codes[i + 3] & 255},${codes[i + 4] & 255})`;
        i += 4;
      }
    }
  }
  return Object.keys(next).length === 0 ? EMPTY_STYLE : next;
}

/**
 * Splits one line into runs of text with their style: [{text, style}], starting from `style`.
 * Returns the runs and the style in force at the end of the line.
 */
export function parseAnsi(line, style = EMPTY_STYLE) {
  const runs = [];
  if (line.indexOf(ESC) < 0) {
    runs.push({ text: line, style });
    return { runs, style };
  }
  let last = 0;
  SGR.lastIndex = 0;
  for (let m; (m = SGR.exec(line)) !== null;) {
    if (m.index > last) runs.push({ text: line.slice(last, m.index).replace(OTHER_ESCAPES, ''), style });
    style = applySgr(style, m[1]);
    last = SGR.lastIndex;
  }
  if (last < line.length) runs.push({ text: line.slice(last).replace(OTHER_ESCAPES, ''), style });
  return { runs: runs.filter((r) => r.text.length > 0), style };
}

/**
 * The style in force after `line`, starting from `style`: what the next line starts with. A line
 * whose last escape is a plain reset (`ESC[0m`, `ESC[m`), as coloured output mostly ends, ends
 * unstyled without being parsed.
 */
export function styleAfter(line, style = EMPTY_STYLE) {
  const last = line.lastIndexOf(ESC);
  if (last < 0) return style;
  // nothing after the last escape can change the style: a plain reset there means unstyled
  if (line.startsWith('[0m', last + 1) || line.startsWith('[m', last + 1)) return EMPTY_STYLE;
  return parseAnsi(line, style).style;
}

function styleAttribute(style) {
  let fg = style.fg;
  let bg = style.bg;
  if (style.inverse) [fg, bg] = [bg || 'var(--log-background)', fg || 'var(--log-foreground)'];
  const css = [];
  if (fg) css.push('color:' + fg);
  if (bg) css.push('background:' + bg);
  if (style.bold) css.push('font-weight:bold');
  if (style.dim) css.push('opacity:.7');
  if (style.italic) css.push('font-style:italic');
  if (style.underline) css.push('text-decoration:underline');
  return css.join(';');
}

/** Splits a growing text into lines; the last, unfinished line is kept until its end arrives. */
export class LineSplitter {
  constructor() { this.partial = ''; }

  /** The complete lines in `text` (after what was pushed before). */
  push(text) {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop();
    for (let i = 0; i < parts.length; i++) {
      if (parts[i].endsWith('\r')) parts[i] = parts[i].slice(0, -1);
    }
    return parts;
  }

  /** What is left once the text ends: an unfinished last line, if any. */
  end() {
    const rest = this.partial;
    this.partial = '';
    return rest.length > 0 ? [rest] : [];
  }
}

/**
 * A log view in `root`: a toolbar (status, line count, search, first error, follow) and the lines.
 * options.lineHref(n): the link of line n (default `#L<n>`); options.line: a line to show first.
 */
export class LogViewer {
  constructor(root, options = {}) {
    this.root = root;
    this.lineHref = options.lineHref || ((n) => '#L' + n);
    this.lines = [];
    this.styles = []; // the ANSI style in force at the start of each line
    this.style = EMPTY_STYLE;
    this.firstError = -1;
    this.selected = options.line ? options.line - 1 : -1;
    this.splitter = new LineSplitter();
    this.dirty = false;
    this.lineHeight = 18;
    this.busy = 0;
    root.classList.add('log-viewer');
    root.innerHTML = `
      <div class="lv-toolbar">
        <span class="lv-status" data-role="status">connecting</span>
        <span class="lv-count" data-role="count">0 lines</span>
        <input type="search" data-role="search" placeholder="Search (Enter: next)" aria-label="Search the log">
        <span class="lv-matches" data-role="matches"></span>
        <button type="button" data-role="error" disabled>First error</button>
        <label><input type="checkbox" data-role="follow" checked> follow</label>
      </div>
      <div class="lv-viewport" data-role="viewport" tabindex="0">
        <div class="lv-spacer" data-role="spacer"></div>
        <div class="lv-rows" data-role="rows"></div>
      </div>`;
    const part = (role) => root.querySelector(`[data-role="${role}"]`);
    this.statusElement = part('status');
    this.countElement = part('count');
    this.searchElement = part('search');
    this.matchesElement = part('matches');
    this.errorButton = part('error');
    this.followElement = part('follow');
    this.viewport = part('viewport');
    this.spacer = part('spacer');
    this.rows = part('rows');
    if (this.selected >= 0) this.followElement.checked = false;
    this.viewport.addEventListener('scroll', () => this.onScroll());
    this.errorButton.addEventListener('click', () => this.jumpToFirstError());
    this.searchElement.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') { e.preventDefault(); this.findNext(this.searchElement.value, e.shiftKey ? -1 : 1); }
    });
    this.searchElement.addEventListener('input', () => { this.matchesElement.textContent = ''; });
  }

  /** Sets the status shown in the toolbar (connecting, streaming, finished, or an error). */
  setStatus(text) {
    this.statusElement.textContent = text;
    this.root.dataset.status = text;
  }

  /** Adds text (any number of lines, the last one possibly unfinished). */
  append(text) {
    const start = performance.now();
    if (this.receivedAt === undefined) this.receivedAt = start;
    this.received = (this.received || 0) + text.length;
    this.addLines(this.splitter.push(text));
    // what the benchmark reads: the time the viewer itself spent taking text in and rendering it
    this.busy += performance.now() - start;
  }

  /** Ends the text: an unfinished last line becomes a line. */
  end() {
    this.addLines(this.splitter.end());
    this.render();
    this.endedAt = performance.now();
  }

  addLines(lines) {
    for (const line of lines) {
      this.styles.push(this.style);
      this.style = styleAfter(line, this.style);
      if (this.firstError < 0 && ERROR.test(plainText(line))) {
        this.firstError = this.lines.length;
        this.errorButton.disabled = false;
      }
      this.lines.push(line);
    }
    if (lines.length > 0) this.schedule();
  }

  /** Reads a fetch Response's body to its end, appending as it arrives; resolves once it ends. */
  /** Reads a response to its end; false (and nothing read) when the response is not a log to read. */
  async follow(response) {
    if (!response.ok) {
      this.setStatus('gone (' + response.status + ')');
      return false;
    }
    this.setStatus('streaming');
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        this.append(decoder.decode(value, { stream: true }));
      }
      this.append(decoder.decode());
      this.end();
      this.setStatus('finished');
    } catch (e) {
      this.end();
      this.setStatus('error: ' + e.message);
    }
    return true;
  }

  schedule() {
    if (this.dirty) return;
    this.dirty = true;
    requestAnimationFrame(() => { this.dirty = false; this.render(); });
  }

  onScroll() {
    if (this.programmaticScroll) { this.programmaticScroll = false; } else {
      const atEnd = this.viewport.scrollTop + this.viewport.clientHeight >= this.viewport.scrollHeight - this.lineHeight;
      this.followElement.checked = atEnd;
    }
    this.render();
  }

  scrollToLine(index) {
    const top = Math.max(0, index * this.lineHeight - this.viewport.clientHeight / 3);
    this.programmaticScroll = true;
    this.viewport.scrollTop = top;
  }

  /** Shows and marks the line with the 0-based index. */
  select(index) {
    this.selected = index;
    this.followElement.checked = false;
    this.scrollToLine(index);
    this.render();
  }

  jumpToFirstError() {
    if (this.firstError >= 0) this.select(this.firstError);
  }

  /** Selects the next (direction 1) or previous (-1) line containing `query`, case-insensitively. */
  findNext(query, direction = 1) {
    if (!query) return false;
    const needle = query.toLowerCase();
    const count = this.lines.length;
    const matches = [];
    for (let i = 0; i < count; i++) {
      if (plainText(this.lines[i]).toLowerCase().includes(needle)) matches.push(i);
    }
    if (matches.length === 0) {
      this.matchesElement.textContent = 'no match';
      return false;
    }
    let position = direction > 0 ? matches.findIndex((i) => i > this.selected) : findLastIndex(matches, (i) => i < this.selected);
    if (position < 0) position = direction > 0 ? 0 : matches.length - 1;
    this.matchesElement.textContent = `${position + 1} of ${matches.length}`;
    this.query = needle;
    this.select(matches[position]);
    return true;
  }

  render() {
    const start = performance.now();
    this.paint();
    this.busy += performance.now() - start;
  }

  paint() {
    const count = this.lines.length;
    this.countElement.textContent = count === 1 ? '1 line' : count + ' lines';
    this.spacer.style.height = count * this.lineHeight + 'px';
    if (this.followElement.checked && this.viewport.scrollHeight > this.viewport.clientHeight) {
      const bottom = this.viewport.scrollHeight - this.viewport.clientHeight;
      if (this.viewport.scrollTop !== bottom) {
        this.programmaticScroll = true;
        this.viewport.scrollTop = bottom;
      }
    }
    const first = Math.max(0, Math.floor(this.viewport.scrollTop / this.lineHeight) - 20);
    const visible = Math.ceil((this.viewport.clientHeight || 600) / this.lineHeight) + 40;
    const last = Math.min(count, first + visible);
    if (this.shown && this.shown.first === first && this.shown.last === last && this.shown.selected === this.selected && this.shown.query === this.query) return;
    // A line's row never changes once made (lines are added whole), unless the selection moved:
    // while following, each frame makes only the rows of the lines that just arrived.
    const reuse = this.shown && this.shown.selected === this.selected ? this.made : null;
    this.shown = { first, last, selected: this.selected, query: this.query };
    this.rows.style.transform = `translateY(${first * this.lineHeight}px)`;
    const made = new Map();
    const fragment = document.createDocumentFragment();
    for (let i = first; i < last; i++) {
      const row = (reuse && reuse.get(i)) || this.renderLine(i);
      made.set(i, row);
      fragment.appendChild(row);
    }
    this.made = made;
    this.rows.replaceChildren(fragment);
  }

  renderLine(index) {
    const line = this.lines[index];
    const row = document.createElement('div');
    row.className = 'lv-line';
    row.dataset.line = index + 1;
    if (index === this.selected) row.classList.add('lv-selected');
    if (index === this.firstError) row.classList.add('lv-error');
    const number = document.createElement('a');
    number.className = 'lv-number';
    number.href = this.lineHref(index + 1);
    number.textContent = index + 1;
    number.addEventListener('click', (e) => {
      if (e.button === 0 && !e.ctrlKey && !e.metaKey) this.select(index);
    });
    row.appendChild(number);
    const text = document.createElement('span');
    text.className = 'lv-text';
    for (const run of parseAnsi(line, this.styles[index]).runs) {
      const css = styleAttribute(run.style);
      if (css) {
        const span = document.createElement('span');
        span.style.cssText = css;
        span.textContent = run.text;
        text.appendChild(span);
      } else {
        text.appendChild(document.createTextNode(run.text));
      }
    }
    row.appendChild(text);
    return row;
  }
}

function findLastIndex(array, predicate) {
  for (let i = array.length - 1; i >= 0; i--) if (predicate(array[i])) return i;
  return -1;
}
