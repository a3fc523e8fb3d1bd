// Drives a local queue with the official Taskcluster JavaScript client (taskcluster-client 87.1.3)
// through a whole task lifecycle and prints a JSON summary; any unexpected answer exits non-zero.
// Usage: node interop.mjs <rootUrl> <clientId> <accessToken> <taskQueueId>
import taskcluster from 'taskcluster-client';
import assert from 'node:assert/strict';

const [rootUrl, clientId, accessToken, taskQueueId] = process.argv.slice(2);
const queue = new taskcluster.Queue({ rootUrl, credentials: { clientId, accessToken }, retries: 0 });
const inHours = (h) => new Date(Date.now() + h * 3600 * 1000).toJSON();
const definition = (extra = {}) => ({
  taskQueueId,
  created: new Date().toJSON(),
  deadline: inHours(1),
  payload: {},
  metadata: { name: 'interop', description: 'official client', owner: 'me@example.com', source: 'https://example.com' },
  ...extra,
});
const out = {};

const taskId = taskcluster.slugid();
out.created = (await queue.createTask(taskId, definition({ priority: 'high' }))).status.state;
out.definition = (await queue.task(taskId)).taskQueueId;
out.status = (await queue.status(taskId)).status.state;

const dependent = taskcluster.slugid();
out.dependentCreated = (await queue.createTask(dependent, definition({ dependencies: [taskId] }))).status.state;

const { tasks } = await queue.claimWork(taskQueueId, { workerGroup: 'wg', workerId: 'node', tasks: 1 });
assert.equal(tasks.length, 1);
const claim = tasks[0];
assert.equal(claim.status.taskId, taskId);
let taskQueue = new taskcluster.Queue({ rootUrl, credentials: claim.credentials, retries: 0 });
const reclaim = await taskQueue.reclaimTask(taskId, claim.runId);
assert.notEqual(reclaim.credentials.accessToken, claim.credentials.accessToken);
taskQueue = new taskcluster.Queue({ rootUrl, credentials: reclaim.credentials, retries: 0 });

const name = 'public/a b%c/~u.txt';
await assert.rejects(
  taskQueue.createArtifact(taskId, 0, 'public/ü.txt', { storageType: 's3', expires: inHours(24), contentType: 'text/plain' }),
  (e) => e.statusCode === 400 && e.code === 'InvalidRequestArguments');
const s3 = await taskQueue.createArtifact(taskId, 0, name, { storageType: 's3', expires: inHours(24), contentType: 'text/plain' });
const put = await fetch(s3.putUrl, { method: 'PUT', headers: { 'Content-Type': 'text/plain' }, body: 'hello from node' });
assert.equal(put.status, 200);
await taskQueue.createArtifact(taskId, 0, 'public/ref', { storageType: 'reference', expires: inHours(24), url: 'https://example.com/x' });
await taskQueue.createArtifact(taskId, 0, 'public/err', { storageType: 'error', expires: inHours(24), reason: 'file-missing-on-worker', message: 'gone' });
out.resolved = (await taskQueue.reportCompleted(taskId, 0)).status.state;
out.resolvedAgain = (await taskQueue.reportCompleted(taskId, 0)).status.state;
out.artifacts = (await queue.listArtifacts(taskId, 0)).artifacts.map((a) => a.name).sort();

const signed = queue.buildSignedUrl(queue.getArtifact, taskId, 0, name, { expiration: 600 });
const fetched = await fetch(signed);
out.signedStatus = fetched.status;
out.signedBody = await fetched.text();
const errorUrl = queue.buildSignedUrl(queue.getArtifact, taskId, 0, 'public/err', { expiration: 600 });
out.errorStatus = (await fetch(errorUrl, { redirect: 'manual' })).status;

out.dependentAfter = (await queue.status(dependent)).status.state;
const second = await queue.claimWork(taskQueueId, { workerGroup: 'wg', workerId: 'node', tasks: 1 });
const q2 = new taskcluster.Queue({ rootUrl, credentials: second.tasks[0].credentials, retries: 0 });
out.failed = (await q2.reportFailed(dependent, 0)).status.state;

const third = taskcluster.slugid();
await queue.createTask(third, definition());
const c3 = (await queue.claimWork(taskQueueId, { workerGroup: 'wg', workerId: 'node', tasks: 1 })).tasks[0];
const q3 = new taskcluster.Queue({ rootUrl, credentials: c3.credentials, retries: 0 });
out.exception = (await q3.reportException(third, 0, { reason: 'malformed-payload' })).status.state;

const fourth = taskcluster.slugid();
await queue.createTask(fourth, definition());
out.canceled = (await queue.cancelTask(fourth)).status.runs[0].reasonResolved;
try {
  await queue.task(taskcluster.slugid());
  out.missing = 'found?';
} catch (err) {
  out.missing = `${err.statusCode} ${err.code}`;
}

console.log(JSON.stringify(out));
