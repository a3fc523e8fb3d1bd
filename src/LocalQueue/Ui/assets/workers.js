// The workers of every task queue: who claimed what, and when each was last seen.
import { call, p } from './api.js';
import { h, when, showError, poll } from './dom.js';

const REFRESH_MS = 5000;

export function workersPage(main) {
  const content = h('div', { id: 'workers' });
  main.append(h('h1', {}, 'Workers'), content);
  const stop = poll(async () => {
    try {
      const { taskQueues } = await call('queue', 'task-queues');
      const sections = [];
      for (const queue of taskQueues) {
        const [provisionerId, workerType] = queue.taskQueueId.split('/');
        const { workers } = await call('queue', `provisioners/${p(provisionerId)}/worker-types/${p(workerType)}/workers`);
        sections.push(h('h2', {}, h('a', { href: '#/?taskQueueId=' + p(queue.taskQueueId) }, queue.taskQueueId)),
          workers.length === 0 ? h('p', { class: 'muted' }, 'No worker has claimed from this queue yet.') : h('table', {},
            h('thead', {}, h('tr', {}, ['Worker', 'Latest task', 'First claim', 'Last seen', 'Quarantined until'].map((t) => h('th', {}, t)))),
            h('tbody', {}, workers.map((w) => h('tr', { dataset: { worker: `${w.workerGroup}/${w.workerId}` } },
              h('td', {}, `${w.workerGroup}/${w.workerId}`),
              h('td', {}, w.latestTask ? h('a', { href: '#/tasks/' + p(w.latestTask.taskId) }, `${w.latestTask.taskId} run ${w.latestTask.runId}`) : '–'),
              h('td', {}, when(w.firstClaim)),
              h('td', {}, when(w.lastDateActive)),
              h('td', {}, w.quarantineUntil && Date.parse(w.quarantineUntil) > Date.now() ? when(w.quarantineUntil) : '–'))))));
      }
      content.replaceChildren(...(sections.length > 0 ? sections : [h('p', { class: 'muted' }, 'No task queues yet.')]));
    } catch (e) {
      showError(content, e);
    }
  }, REFRESH_MS);
  return { dispose: stop };
}
