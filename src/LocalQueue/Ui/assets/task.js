// A task: its definition, its runs on a timeline with their resolutions, its artifacts (download,
// or view text and images in the page), cancel and rerun; and the log of one of its runs.
import { call, p, artifactUrl, ApiError } from './api.js';
import { h, when, stateBadge, showError, poll } from './dom.js';
import { LogViewer } from './log-viewer.js';

// The log viewer's styles come with this module, not with every page: the task list, where most
// visits start, does not wait for them. The module is ready once they apply (the viewer measures
// its rows), or once they failed to load.
if (!document.querySelector('link[href="/ui/log-viewer.css"]')) {
  const styles = h('link', { rel: 'stylesheet', href: '/ui/log-viewer.css' });
  const loaded = new Promise((resolve) => { styles.onload = resolve; styles.onerror = resolve; });
  document.head.append(styles);
  await loaded;
}

const REFRESH_MS = 2000;
const PREVIEW_BYTES = 1024 * 1024;
const LOG_RETRY_MS = 1000;

export function taskPage(main, [rawId]) {
  const taskId = decodeURIComponent(rawId);
  const header = h('div');
  const runs = h('div', { id: 'runs' });
  const artifacts = h('div', { id: 'artifacts' });
  const preview = h('div', { class: 'preview', id: 'preview' });
  const definition = h('pre', { class: 'json', id: 'definition' });
  const message = h('div');
  main.append(header, message, h('h2', {}, 'Runs'), runs, h('h2', {}, 'Artifacts'), artifacts, preview, h('h2', {}, 'Definition'), definition);
  let task = null;
  let lastStatus = '';
  let stop = () => {};

  async function act(action) {
    try {
      const answer = await call('queue', `task/${p(taskId)}/${action}`, { method: 'POST', body: {} });
      render(answer.status);
    } catch (e) {
      showError(message, e);
    }
  }

  function render(status) {
    const text = JSON.stringify(status);
    if (text === lastStatus) return;
    lastStatus = text;
    const resolved = ['completed', 'failed', 'exception'].includes(status.state);
    header.replaceChildren(
      h('h1', {}, (task.metadata && task.metadata.name) || taskId, ' ', stateBadge(status.state)),
      h('p', { class: 'muted' }, taskId, ' · ', h('a', { href: '#/?taskQueueId=' + p(status.taskQueueId) }, status.taskQueueId),
        ' · group ', h('a', { href: '#/?taskGroupId=' + p(status.taskGroupId) }, status.taskGroupId),
        ' · deadline ', when(status.deadline), ' · retries left ', String(status.retriesLeft)),
      h('div', { class: 'actions' },
        h('button', { type: 'button', id: 'cancel', disabled: resolved, onclick: () => act('cancel') }, 'Cancel'),
        h('button', { type: 'button', id: 'rerun', disabled: !resolved, onclick: () => act('rerun') }, 'Rerun')));
    runs.replaceChildren(status.runs.length === 0 ? h('p', { class: 'muted' }, 'No runs yet: the task waits for its dependencies.') : runTable(taskId, status.runs));
    if (status.runs.length > 0) loadArtifacts(taskId, status.runs.length - 1, artifacts, preview);
  }

  (async () => {
    try {
      task = await call('queue', `task/${p(taskId)}`);
      definition.textContent = JSON.stringify(task, null, 2);
      stop = poll(async () => {
        try {
          const answer = await call('queue', `task/${p(taskId)}/status`);
          render(answer.status);
        } catch (e) {
          showError(message, e);
        }
      }, REFRESH_MS);
    } catch (e) {
      showError(message, e);
    }
  })();
  return { dispose: () => stop() };
}

function runTable(taskId, runs) {
  const times = runs.flatMap((r) => [r.scheduled, r.started, r.resolved]).filter(Boolean).map((d) => Date.parse(d));
  const start = Math.min(...times);
  const end = Math.max(Date.now(), ...times);
  const span = Math.max(1, end - start);
  const at = (date) => ((Date.parse(date) - start) / span) * 100;
  const bar = (run) => {
    const timeline = h('div', { class: 'timeline', title: `scheduled ${when(run.scheduled)}, started ${when(run.started)}, resolved ${when(run.resolved)}` });
    const started = run.started || (run.state === 'pending' ? new Date().toISOString() : run.resolved);
    if (run.scheduled && started) timeline.append(h('div', { class: 'wait', style: `left:${at(run.scheduled)}%;width:${Math.max(0.3, at(started) - at(run.scheduled))}%` }));
    if (run.started) {
      const stopped = run.resolved || new Date().toISOString();
      timeline.append(h('div', { class: 'run ' + run.state, style: `left:${at(run.started)}%;width:${Math.max(0.3, at(stopped) - at(run.started))}%` }));
    }
    return timeline;
  };
  return h('table', {},
    h('thead', {}, h('tr', {}, ['Run', 'State', 'Why created', 'Resolution', 'Worker', 'Timeline', 'Log'].map((t) => h('th', {}, t)))),
    h('tbody', {}, runs.map((run) => h('tr', { dataset: { runId: run.runId } },
      h('td', {}, String(run.runId)),
      h('td', {}, stateBadge(run.state)),
      h('td', {}, run.reasonCreated),
      h('td', { class: 'resolution' }, run.reasonResolved || '–'),
      h('td', {}, run.workerId ? `${run.workerGroup}/${run.workerId}` : '–'),
      h('td', { style: 'width:35%' }, bar(run)),
      h('td', {}, h('a', { href: `#/tasks/${p(taskId)}/runs/${run.runId}/log` }, 'log'))))));
}

let artifactsShown = '';

async function loadArtifacts(taskId, runId, target, preview) {
  try {
    const list = await call('queue', `task/${p(taskId)}/runs/${runId}/artifacts`);
    const key = runId + JSON.stringify(list.artifacts);
    if (key === artifactsShown && target.childElementCount > 0) return;
    artifactsShown = key;
    if (list.artifacts.length === 0) {
      target.replaceChildren(h('p', { class: 'muted' }, 'No artifacts in run ' + runId + ' yet.'));
      return;
    }
    target.replaceChildren(h('table', {},
      h('thead', {}, h('tr', {}, ['Name', 'Type', 'Storage', 'Expires', ''].map((t) => h('th', {}, t)))),
      h('tbody', {}, list.artifacts.map((a) => h('tr', { dataset: { artifact: a.name } },
        h('td', {}, a.name),
        h('td', {}, a.contentType),
        h('td', {}, a.storageType),
        h('td', {}, when(a.expires)),
        h('td', {},
          viewable(a.contentType) ? h('button', { type: 'button', class: 'view', onclick: () => view(taskId, runId, a, preview) }, 'View') : '',
          ' ',
          h('button', { type: 'button', class: 'download', onclick: () => download(taskId, runId, a, preview) }, 'Download')))))));
  } catch (e) {
    showError(target, e);
  }
}

function viewable(contentType) {
  return /^(text\/|image\/(png|jpeg|gif|webp|svg\+xml)|application\/(json|x-yaml|yaml|xml))/.test(contentType || '');
}

async function fetchArtifact(taskId, runId, artifact) {
  const { url } = await artifactUrl(taskId, runId, artifact.name);
  const response = await fetch(url, { credentials: 'omit', referrerPolicy: 'no-referrer' });
  if (!response.ok) throw new ApiError(response.status, 'HttpError', `${artifact.name}: ${response.status} ${response.statusText}`);
  return response;
}

async function view(taskId, runId, artifact, preview) {
  try {
    preview.replaceChildren(h('p', { class: 'muted' }, 'Loading ' + artifact.name + '…'));
    const response = await fetchArtifact(taskId, runId, artifact);
    const title = h('h2', {}, artifact.name);
    if (artifact.contentType.startsWith('image/')) {
      // an SVG is shown as an image: its scripts never run
      const url = URL.createObjectURL(await response.blob());
      preview.replaceChildren(title, h('img', { src: url, alt: artifact.name }));
    } else {
      const bytes = new Uint8Array(await response.arrayBuffer());
      const text = new TextDecoder().decode(bytes.subarray(0, PREVIEW_BYTES));
      preview.replaceChildren(title, h('pre', { class: 'text', id: 'artifact-text' }, text),
        bytes.length > PREVIEW_BYTES ? h('p', { class: 'muted' }, 'The first MiB is shown; download for the rest.') : '');
    }
  } catch (e) {
    showError(preview, e);
  }
}

async function download(taskId, runId, artifact, preview) {
  try {
    const response = await fetchArtifact(taskId, runId, artifact);
    const url = URL.createObjectURL(await response.blob());
    const link = h('a', { href: url, download: artifact.name.split('/').pop() });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (e) {
    showError(preview, e);
  }
}

/** Where the run's log is: the live log while it runs, the backing log after; null while neither exists. */
async function logUrl(taskId, runId) {
  for (const name of ['public/logs/live.log', 'public/logs/live_backing.log']) {
    try {
      return await artifactUrl(taskId, runId, name);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) throw e;
    }
  }
  return null;
}

/** The log of one run: the live log while it runs, the full log once it is uploaded. */
export function logPage(main, [rawId, runText], query) {
  const taskId = decodeURIComponent(rawId);
  const runId = Number(runText);
  const base = `#/tasks/${p(taskId)}/runs/${runId}/log`;
  const holder = h('div', { class: 'log-page', id: 'log' });
  main.append(h('p', {}, h('a', { href: '#/tasks/' + p(taskId) }, '← task ' + taskId), ` · run ${runId}`), holder);
  const viewer = new LogViewer(holder, { line: Number(query.get('line')) || 0, lineHref: (n) => `${base}?line=${n}` });
  window.logViewer = viewer;
  const controller = new AbortController();
  (async () => {
    try {
      // Until the run starts there is no log: wait for it (the page may be opened first). As the run
      // ends, the live log's server goes away before its artifact points at the uploaded log: ask again.
      while (!controller.signal.aborted) {
        const target = await logUrl(taskId, runId);
        if (target) {
          try {
            const response = await fetch(target.url, { credentials: 'omit', referrerPolicy: 'no-referrer', signal: controller.signal });
            if (await viewer.follow(response)) return;
          } catch (e) {
            if (controller.signal.aborted || viewer.received) throw e;
          }
          viewer.setStatus('waiting for the log');
        } else {
          viewer.setStatus('waiting for the run to start');
        }
        await new Promise((resolve) => setTimeout(resolve, LOG_RETRY_MS));
      }
    } catch (e) {
      if (controller.signal.aborted) return;
      viewer.setStatus('error: ' + e.message);
    }
  })();
  return {
    update(next) {
      const line = Number(next.get('line'));
      if (line > 0) viewer.select(line - 1);
    },
    dispose: () => controller.abort(),
  };
}
