// The controller's HTTP API as the page uses it: JSON, a time bound on every call, and errors
// turned into one line of text (the controller's own message when it sent one).
// In the operator mode the page is served per ServiceChain, at /servicechains/<name>/ui, and reads that chain's API.
const SCOPE = location.pathname.match(/^\/servicechains\/[^/]+(?=\/ui)/);
const API = (SCOPE ? SCOPE[0] : '') + '/api/v1';
const TIMEOUT_MS = 5000;

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status; // 0: no answer at all
  }
}

export function getJson(path) {
  return call('GET', path, null, null);
}

export function postJson(path, body, token) {
  return call('POST', path, body, token);
}

async function call(method, path, body, token) {
  const headers = {Accept: 'application/json'};
  if (body !== null) {
    headers['Content-Type'] = 'application/json';
  }
  if (token) {
    headers.Authorization = 'Bearer ' + token;
  }
  let response;
  try {
    response = await fetch(API + path, {
      method, headers, body: body === null ? undefined : JSON.stringify(body),
      cache: 'no-store', signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (e) {
    const why = e && e.name === 'TimeoutError' ? 'no answer within ' + TIMEOUT_MS / 1000 + ' s' : 'the connection failed';
    throw new ApiError('cannot reach the controller: ' + why, 0);
  }
  const text = await response.text().catch(() => '');
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (e) {
    json = null;
  }
  if (!response.ok) {
    // The API's errors are {"status":..,"field":..,"message":..}; Javalin's own 404 for an
    // unknown endpoint, sent to a client that accepts JSON, is {"title":..}; a proxy's may be anything.
    const detail = json && json.message ? (json.field ? json.field + ': ' : '') + json.message
        : json && json.title ? json.title : text.replace(/\s+/g, ' ').slice(0, 200);
    throw new ApiError(method + ' ' + API + path + ': ' + response.status + (detail ? ' ' + detail : ''), response.status);
  }
  if (json === null) {
    throw new ApiError(method + ' ' + API + path + ': the answer is not JSON', response.status);
  }
  return json;
}
