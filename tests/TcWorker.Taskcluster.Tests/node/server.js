// Verifies requests with the reference Hawk implementation (npm hawk 9.0.2) the way
// Taskcluster's auth service does: temporary-credential certificates in ext are checked and
// their access token derived, authorizedScopes restrict the scopes. Also signs requests with the
// reference Hawk client (POST /__sign) so the C# verifier can be checked against it.
// Usage: node server.js '<clients JSON: {"id": {"accessToken": "...", "scopes": [...]}}>'
// Prints "PORT <n>" once listening on 127.0.0.1.
'use strict';
const http = require('http');
const crypto = require('crypto');
const Hawk = require('hawk');

const clients = JSON.parse(process.argv[2] || '{}');

const satisfies = (have, want) => have.some(s => s === want || (s.endsWith('*') && want.startsWith(s.slice(0, -1))));

const decodeExt = ext => (ext ? JSON.parse(Buffer.from(ext, 'base64').toString('utf8')) : {});

const extOf = req => {
  const bewit = /[?&]bewit=([^&]*)/.exec(req.url);
  if (bewit) {
    const parts = Buffer.from(bewit[1], 'base64url').toString('utf8').split('\\');
    return decodeExt(parts[3]);
  }
  return decodeExt(Hawk.utils.parseAuthorizationHeader(req.headers.authorization).ext);
};

const credentialsFor = (id, ext) => {
  let scopes;
  let key;
  const cert = ext.certificate;
  if (cert) {
    if (typeof cert !== 'object') throw new Error('ext.certificate must be a JSON object');
    const issuer = cert.issuer || id;
    if (cert.issuer && cert.issuer === id) throw new Error('issuer must differ from clientId');
    const client = clients[issuer];
    if (!client) throw new Error('unknown issuer ' + issuer);
    const lines = ['version:1'];
    if (cert.issuer) lines.push('clientId:' + id, 'issuer:' + cert.issuer);
    lines.push('seed:' + cert.seed, 'start:' + cert.start, 'expiry:' + cert.expiry, 'scopes:', ...cert.scopes);
    const signature = crypto.createHmac('sha256', client.accessToken).update(lines.join('\n')).digest('base64');
    if (signature !== cert.signature) throw new Error('ext.certificate.signature is not valid');
    if (cert.expiry < Date.now() - 5 * 60 * 1000) throw new Error('ext.certificate.expiry < now');
    if (!cert.scopes.every(s => satisfies(client.scopes, s))) throw new Error('issuer lacks certificate scopes');
    key = crypto.createHmac('sha256', client.accessToken).update(cert.seed).digest('base64url');
    scopes = cert.scopes;
  } else {
    const client = clients[id];
    if (!client) throw new Error('unknown client ' + id);
    key = client.accessToken;
    scopes = client.scopes;
  }
  if (ext.authorizedScopes) {
    if (!ext.authorizedScopes.every(s => satisfies(scopes.concat(['assume:anonymous']), s))) {
      throw new Error('authorizedScopes not satisfied');
    }
    scopes = ext.authorizedScopes;
  }
  return { id, key, algorithm: 'sha256', scopes };
};

const send = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const sign = (res, body) => {
  const request = JSON.parse(body);
  const credentials = { id: request.id, key: request.key, algorithm: 'sha256' };
  if (request.bewitTtlSec) {
    const bewit = Hawk.client.getBewit(request.url, { credentials, ttlSec: request.bewitTtlSec, ext: request.ext });
    return send(res, 200, { bewit });
  }
  const { header } = Hawk.client.header(request.url, request.method, {
    credentials, ext: request.ext, payload: request.payload, contentType: request.contentType,
  });
  return send(res, 200, { header });
};

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', c => chunks.push(c));
  req.on('end', async () => {
    const body = Buffer.concat(chunks).toString('utf8');
    try {
      if (req.url === '/__sign') return sign(res, body);
      const ext = extOf(req);
      let found;
      const credentialsFunc = id => (found = credentialsFor(id, ext));
      const options = { timestampSkewSec: 15 * 60 };
      if (/[?&]bewit=/.test(req.url)) {
        await Hawk.server.authenticateBewit(req, credentialsFunc, options);
      } else {
        const attributes = Hawk.utils.parseAuthorizationHeader(req.headers.authorization);
        if (attributes.hash) options.payload = body;
        await Hawk.server.authenticate(req, credentialsFunc, options);
      }
      return send(res, 200, { clientId: found.id, scopes: found.scopes, ext, method: req.method, url: req.url, body });
    } catch (err) {
      return send(res, 401, { code: 'AuthenticationFailed', message: String(err && err.message), url: req.url });
    }
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write('PORT ' + server.address().port + '\n');
});
