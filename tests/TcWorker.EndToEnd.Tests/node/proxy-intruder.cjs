// Runs inside a native task as another user while a task marked <marker> runs: looks for that task's
// process and for any TASKCLUSTER_PROXY_URL but its own in the environments it can read, calls every one
// it finds, and calls the proxy listener below a guessed path; prints "INTRUDER-RESULT <json>".
// Usage: node proxy-intruder.cjs <marker>
const fs = require('node:fs');

(async () => {
  const own = process.env.TASKCLUSTER_PROXY_URL;
  const marker = process.argv[2];
  const out = { holderSeen: 0, environmentsRead: 0, found: [], statuses: [] };
  for (let wait = 0; wait < 40 && out.holderSeen === 0; wait++) {
    for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      let cmdline = '';
      try { cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { continue; }
      if (cmdline.includes('proxy-holder.cjs') && cmdline.includes(marker)) {
        out.holderSeen++;
      }
    }
    if (out.holderSeen === 0) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let environ;
    try { environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8'); } catch { continue; }
    out.environmentsRead++;
    for (const entry of environ.split('\0')) {
      if (entry.startsWith('TASKCLUSTER_PROXY_URL=') && entry.slice(22) !== own && !out.found.includes(entry.slice(22))) {
        out.found.push(entry.slice(22));
      }
    }
  }

  for (const url of out.found) {
    out.statuses.push((await fetch(url + '/api/queue/v1/ping')).status);
  }

  const base = new URL(own);
  out.guessed = (await fetch(`${base.origin}/${'A'.repeat(43)}/api/queue/v1/ping`)).status;
  out.bare = (await fetch(`${base.origin}/api/queue/v1/ping`)).status;
  console.log('INTRUDER-RESULT ' + JSON.stringify(out));
})();
