// Makes calls with the official Taskcluster JavaScript client (taskcluster-client 87.1.3) and
// prints what came back, so the C# verifier can be checked against real Taskcluster requests.
// Usage: node official-client.mjs <rootUrl> <clientId> <accessToken> <taskId>
import taskcluster from 'taskcluster-client';

const [rootUrl, clientId, accessToken, taskId] = process.argv.slice(2);
const credentials = { clientId, accessToken };
const hour = () => new Date(Date.now() + 60 * 60 * 1000);
const results = {};

const record = async (name, call) => {
  try {
    results[name] = { status: 200, body: await call() };
  } catch (err) {
    results[name] = { status: err.statusCode || 0, message: String(err.message) };
  }
};

const queue = new taskcluster.Queue({ rootUrl, credentials, retries: 0 });
await record('get', () => queue.task(taskId));
await record('post', () => queue.claimWork('proj/wt', { workerGroup: 'wg', workerId: 'wid', tasks: 1 }));
await record('escaped', () => queue.getArtifact(taskId, 0, 'public/a b+c.txt'));

const unnamed = taskcluster.createTemporaryCredentials({ scopes: ['queue:get-task:*'], expiry: hour(), credentials });
await record('unnamed', () => new taskcluster.Queue({ rootUrl, credentials: unnamed, retries: 0 }).task(taskId));

const named = taskcluster.createTemporaryCredentials({ clientId: 'task-client/x', scopes: ['queue:claim-work:proj/wt'], expiry: hour(), credentials });
await record('named', () => new taskcluster.Queue({ rootUrl, credentials: named, retries: 0 }).claimWork('proj/wt', { workerGroup: 'wg', workerId: 'wid', tasks: 1 }));

await record('authorizedScopes', () => new taskcluster.Queue({ rootUrl, credentials, authorizedScopes: ['queue:get-task:x'], retries: 0 }).task(taskId));
await record('wrongKey', () => new taskcluster.Queue({ rootUrl, credentials: { clientId, accessToken: 'wrong' }, retries: 0 }).task(taskId));

const signed = new taskcluster.Queue({ rootUrl, credentials: unnamed }).buildSignedUrl(queue.getArtifact, taskId, 0, 'public/a b.txt', { expiration: 600 });
await record('bewit', async () => {
  const response = await fetch(signed);
  if (!response.ok) throw Object.assign(new Error(await response.text()), { statusCode: response.status });
  return response.json();
});

process.stdout.write(JSON.stringify(results) + '\n');
