// Runs inside a native task with features.taskclusterProxy: the official Taskcluster JavaScript client,
// with no credentials, pointed at TASKCLUSTER_PROXY_URL. Creates an artifact of its own run, lists the
// run's artifacts, makes a call outside the task's scopes, then keeps listing for SECONDS (across
// reclaims) and prints one line "PROXY-RESULT <json>".
// Usage: node proxy-client.cjs <path of node_modules/taskcluster-client> <seconds>
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const seconds = Number(process.argv[3]);

(async () => {
  // The client is an ES module: import its entry point by URL.
  const taskcluster = (await import(pathToFileURL(path.join(process.argv[2], 'src', 'index.js')).href)).default;
  const { TASK_ID: taskId, RUN_ID: runId, TASKCLUSTER_PROXY_URL: rootUrl } = process.env;
  const queue = new taskcluster.Queue({ rootUrl, retries: 0 });
  const out = {};
  await queue.createArtifact(taskId, Number(runId), 'public/through-the-proxy', {
    storageType: 'error',
    reason: 'file-missing-on-worker',
    message: 'created by the official client through the proxy',
    expires: new Date(Date.now() + 3600 * 1000).toJSON(),
  });
  out.artifacts = (await queue.listArtifacts(taskId, Number(runId))).artifacts.map((a) => a.name);
  try {
    await queue.cancelTask(taskId);
    out.denied = 'allowed';
  } catch (e) {
    out.denied = e.statusCode;
  }

  // Across reclaims: the same call, plainly, to read which credentials the proxy signed each one with.
  out.calls = 0;
  out.failures = [];
  out.clientIds = [];
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    const response = await fetch(`${rootUrl}/api/queue/v1/task/${taskId}/runs/${runId}/artifacts`);
    if (response.status === 200) {
      out.calls++;
      const clientId = response.headers.get('x-taskcluster-proxy-temp-clientid');
      if (!out.clientIds.includes(clientId)) {
        out.clientIds.push(clientId);
      }
    } else {
      out.failures.push(`${response.status} ${await response.text()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  console.log('PROXY-RESULT ' + JSON.stringify(out));
})().catch((e) => {
  console.log('PROXY-ERROR ' + e.stack);
  process.exit(1);
});
