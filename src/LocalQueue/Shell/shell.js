// The local queue's shell page: a terminal on the interactive shell's WebSocket, speaking version 2 of
// the protocol of Taskcluster's shell page. Client to server, binary messages: 1 followed by input bytes;
// 2 followed by rows and columns as unsigned 16-bit little-endian integers. Server to client: what the
// terminal prints, as binary messages; the server closes the socket when the shell ends.
(function () {
  'use strict';
  const STDIN = 1;
  const RESIZE = 2;
  const params = new URLSearchParams(window.location.search);
  const socketUrl = params.get('socketUrl');
  const version = params.get('v');
  const status = document.getElementById('status');
  document.getElementById('task').textContent = (params.get('taskId') || '?') + ' run ' + (params.get('runId') || '?');

  const term = new Terminal({ cursorBlink: true, scrollback: 5000 });
  const fit = new FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open(document.getElementById('terminal'));
  fit.fit();
  term.focus();
  window.shellTerminal = term;

  const setStatus = text => { status.textContent = text; };
  if (version !== '2' || !socketUrl) {
    term.writeln(`This page speaks version 2 of the shell protocol; the link asks for version ${version} ${socketUrl ? '' : 'without a socketUrl'}.`);
    setStatus('unsupported');
    return;
  }

  const socket = new WebSocket(socketUrl);
  socket.binaryType = 'arraybuffer';
  const encoder = new TextEncoder();
  const send = bytes => { if (socket.readyState === WebSocket.OPEN) { socket.send(bytes); } };
  const sendInput = bytes => {
    const message = new Uint8Array(bytes.length + 1);
    message[0] = STDIN;
    message.set(bytes, 1);
    send(message);
  };
  const sendSize = () => {
    const message = new DataView(new ArrayBuffer(5));
    message.setUint8(0, RESIZE);
    message.setUint16(1, term.rows, true);
    message.setUint16(3, term.cols, true);
    send(message.buffer);
  };

  socket.onopen = () => { setStatus('connected'); sendSize(); };
  socket.onmessage = event => term.write(typeof event.data === 'string' ? event.data : new Uint8Array(event.data));
  socket.onclose = event => {
    const why = event.reason || (event.wasClean ? 'closed' : 'connection lost');
    term.write(`\r\n\x1b[2m[shell closed: ${why}]\x1b[0m\r\n`);
    term.options.disableStdin = true;
    setStatus('closed: ' + why);
  };
  term.onData(data => sendInput(encoder.encode(data)));
  term.onBinary(data => sendInput(Uint8Array.from(data, c => c.charCodeAt(0) & 0xff)));
  term.onResize(sendSize);
  window.addEventListener('resize', () => fit.fit());
})();
