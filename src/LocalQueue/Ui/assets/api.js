// Calls to the queue's API, Hawk-signed in the browser with the credentials the user entered.
// The credentials live in this tab's sessionStorage only: never in a cookie, so the server can
// never be made to honour them on a request the page did not sign.

const STORAGE_KEY = 'tc-worker.credentials';
const encoder = new TextEncoder();

/** The credentials of this tab: {clientId, accessToken, certificate?} or null. */
export function credentials() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || 'null');
    return stored && stored.clientId && stored.accessToken ? stored : null;
  } catch {
    return null;
  }
}

/** Keeps credentials for this tab (null forgets them). */
export function setCredentials(value) {
  if (value) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(value));
  else sessionStorage.removeItem(STORAGE_KEY);
}

function base64(bytes) {
  let text = '';
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text);
}

function subtle() {
  if (!globalThis.crypto || !crypto.subtle) {
    throw new Error('Signing requests needs a secure context: open the dashboard over https, or on localhost / 127.0.0.1');
  }
  return crypto.subtle;
}

async function sha256(text) {
  return base64(await subtle().digest('SHA-256', encoder.encode(text)));
}

// The HMAC key of the last access token used, imported once (not extractable).
let signingKey = { secret: null, key: null };

async function hmac(secret, text) {
  if (signingKey.secret !== secret) {
    signingKey = { secret, key: await subtle().importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']) };
  }
  return base64(await subtle().sign('HMAC', signingKey.key, encoder.encode(text)));
}

function nonce() {
  const bytes = new Uint8Array(6);
  crypto.getRandomValues(bytes);
  return base64(bytes).replace(/[+/=]/g, '');
}

/**
 * The Hawk Authorization header for a request: `resource` is the path and query exactly as sent,
 * `url` gives host and port; a body is covered by the payload hash.
 */
export async function hawkHeader(creds, method, url, body, contentType) {
  const ts = Math.floor(Date.now() / 1000).toString();
  const n = nonce();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const resource = url.pathname + url.search;
  const hash = body === undefined ? '' : await sha256(`hawk.1.payload\n${(contentType || '').split(';')[0].trim().toLowerCase()}\n${body}\n`);
  const ext = creds.certificate
    ? btoa(JSON.stringify({ certificate: typeof creds.certificate === 'string' ? JSON.parse(creds.certificate) : creds.certificate }))
    : '';
  const normalized = `hawk.1.header\n${ts}\n${n}\n${method.toUpperCase()}\n${resource}\n${url.hostname.toLowerCase()}\n${port}\n${hash}\n${ext}\n`;
  const mac = await hmac(creds.accessToken, normalized);
  let header = `Hawk id="${creds.clientId}", ts="${ts}", nonce="${n}"`;
  if (hash) header += `, hash="${hash}"`;
  if (ext) header += `, ext="${ext}"`;
  return header + `, mac="${mac}"`;
}

/** An error answered by the API: its HTTP status, its code (InsufficientScopes, ...) and message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** `encodeURIComponent` for a route parameter (a `/` in it is encoded too, as the queue expects). */
export const p = encodeURIComponent;

/**
 * Calls `/api/<service>/v1/<path>` (path parameters already encoded with `p`), signed when the
 * tab has credentials; resolves to the JSON answer, rejects with an ApiError.
 */
export async function call(service, path, { method = 'GET', query, body, as } = {}) {
  const url = new URL(`/api/${service}/v1/${path}`, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
  }
  const headers = {};
  const text = body === undefined ? undefined : JSON.stringify(body);
  if (text !== undefined) headers['Content-Type'] = 'application/json';
  const creds = as || credentials();
  if (creds) headers.Authorization = await hawkHeader(creds, method, url, text, headers['Content-Type']);
  const response = await fetch(url, { method, headers, body: text, credentials: 'omit', cache: 'no-store' });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new ApiError(response.status, answer.code || 'HttpError', answer.message || `${response.status} ${response.statusText}`);
  }
  return answer;
}

/**
 * Where an artifact's bytes are: {url}, for a run or the latest run. The queue's `artifact` call
 * answers a URL, or (object artifacts) credentials for the object service's startDownload, which
 * answers the URL. The URL is signed (or a reference's own), so fetching it needs no credentials.
 */
export async function artifactUrl(taskId, runId, name) {
  const encoded = name.split('/').map(p).join('/');
  const content = await call('queue', runId === undefined ? `task/${p(taskId)}/artifact-content/${encoded}` : `task/${p(taskId)}/runs/${runId}/artifact-content/${encoded}`);
  if (content.storageType === 'error') throw new ApiError(424, 'ArtifactError', `${name}: ${content.reason}: ${content.message}`);
  if (content.storageType !== 'object') return content;
  const download = await call('object', `start-download/${content.name.split('/').map(p).join('/')}`, {
    method: 'PUT', body: { acceptDownloadMethods: { simple: true } }, as: content.credentials,
  });
  return { url: download.url };
}
