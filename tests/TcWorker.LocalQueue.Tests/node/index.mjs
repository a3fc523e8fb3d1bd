// Drives the index service of a local queue with the official Taskcluster JavaScript client
// (taskcluster-client 87.1.3) and prints a JSON summary; any unexpected answer exits non-zero.
// Usage: node index.mjs <rootUrl> <clientId> <accessToken> <taskQueueId>
import taskcluster from 'taskcluster-client';
import assert from 'node:assert/strict';

const [rootUrl, clientId, accessToken, taskQueueId] = process.argv.slice(2);
const options = { rootUrl, credentials: { clientId, accessToken }, retries: 0 };
const index = new taskcluster.Index(options);
const queue = new taskcluster.Queue(options);
const inHours = (h) => new Date(Date.now() + h * 3600 * 1000).toJSON();
const out = {};

const first = taskcluster.slugid();
out.inserted = await index.insertTask('interop.app.latest', { taskId: first, rank: 2, data: { from: 'node' }, expires: inHours(24) });
out.found = await index.findTask('interop.app.latest');
out.lower = (await index.insertTask('interop.app.latest', { taskId: taskcluster.slugid(), rank: 1, data: {}, expires: inHours(24) })).taskId;
out.rootNamespaces = (await index.listNamespaces('')).namespaces.map((n) => n.namespace);
const page = await index.listNamespaces('interop', { limit: 1 });
out.namespaces = page.namespaces.map((n) => n.namespace);
out.tasks = (await index.listTasks('interop.app')).tasks.map((t) => t.taskId);

// a task completed with an index route, its artifact fetched through findArtifactFromTask
const built = taskcluster.slugid();
await queue.createTask(built, {
  taskQueueId,
  created: new Date().toJSON(),
  deadline: inHours(1),
  routes: ['index.interop.built'],
  extra: { index: { rank: 7 } },
  payload: {},
  metadata: { name: 'interop', description: 'index', owner: 'me@example.com', source: 'https://example.com' },
});
const { tasks } = await queue.claimWork(taskQueueId, { workerGroup: 'wg', workerId: 'node', tasks: 1 });
assert.equal(tasks.length, 1);
const worker = new taskcluster.Queue({ rootUrl, credentials: tasks[0].credentials, retries: 0 });
const s3 = await worker.createArtifact(built, 0, 'public/built.txt', { storageType: 's3', expires: inHours(24), contentType: 'text/plain' });
assert.equal((await fetch(s3.putUrl, { method: 'PUT', headers: { 'Content-Type': 'text/plain' }, body: 'built by node' })).status, 200);
await worker.reportCompleted(built, 0);
const indexed = await index.findTask('interop.built');
out.builtRank = indexed.rank;
out.builtTaskId = indexed.taskId === built;
const url = index.buildSignedUrl(index.findArtifactFromTask, 'interop.built', 'public/built.txt', { expiration: 600 });
out.artifact = await (await fetch(url)).text();

for (const [key, path] of [['missing', 'interop.none'], ['bad', 'bad..path']]) {
  try {
    await index.findTask(path);
    out[key] = 'found?';
  } catch (err) {
    out[key] = `${err.statusCode} ${err.code}`;
  }
}

console.log(JSON.stringify(out));
