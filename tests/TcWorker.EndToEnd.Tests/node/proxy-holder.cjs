// Runs inside a native task with features.taskclusterProxy: pings the queue through its own proxy, waits
// while another task tries to use that proxy, and pings again; prints "HOLDER-RESULT <json>".
// Usage: node proxy-holder.cjs <seconds> <marker>
(async () => {
  const ping = async () => (await fetch(process.env.TASKCLUSTER_PROXY_URL + '/api/queue/v1/ping')).status;
  const out = { before: await ping() };
  await new Promise((resolve) => setTimeout(resolve, Number(process.argv[2]) * 1000));
  out.after = await ping();
  console.log('HOLDER-RESULT ' + JSON.stringify(out));
})();
