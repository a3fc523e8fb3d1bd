namespace TcWorker.Plugins.LiveLog;

/// <summary>A page that tails the live log in a browser: it streams <c>log</c> and appends as text arrives.</summary>
internal static class ViewerPage
{
    public const string Html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>Live log</title>
        <style>
          body { margin: 0; background: #111; color: #ddd; font: 13px/1.4 ui-monospace, monospace; }
          header { position: sticky; top: 0; background: #222; padding: 6px 12px; }
          pre { margin: 0; padding: 8px 12px; white-space: pre-wrap; word-break: break-all; }
        </style>
        </head>
        <body>
        <header>Live log: <span id="status">connecting</span> <label><input id="follow" type="checkbox" checked> follow</label></header>
        <pre id="log"></pre>
        <script>
          const log = document.getElementById('log');
          const status = document.getElementById('status');
          const follow = document.getElementById('follow');
          (async () => {
            try {
              const response = await fetch('log');
              if (!response.ok) { status.textContent = 'gone (' + response.status + ')'; return; }
              status.textContent = 'streaming';
              const reader = response.body.getReader();
              const decoder = new TextDecoder();
              for (;;) {
                const { value, done } = await reader.read();
                if (done) break;
                log.append(decoder.decode(value, { stream: true }));
                if (follow.checked) window.scrollTo(0, document.body.scrollHeight);
              }
              log.append(decoder.decode());
              status.textContent = 'finished';
            } catch (e) {
              status.textContent = 'error: ' + e;
            }
          })();
        </script>
        </body>
        </html>
        """;
}
