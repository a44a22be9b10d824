// The write token a trace needs. Taken from the URL fragment (#token=..., which the browser never
// sends to a server) or typed in; kept in sessionStorage only, so it lives as long as this tab.
const KEY = 'astaire.token';

/** Moves a #token=... fragment into sessionStorage and out of the address bar (and the history). */
export function adoptFragmentToken(location, history, storage) {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const token = params.get('token');
  if (token) {
    storage.setItem(KEY, token.trim());
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '', location.pathname + location.search + (rest ? '#' + rest : ''));
  }
}

export function readToken(storage) {
  return storage.getItem(KEY) || '';
}

export function storeToken(storage, token) {
  if (token) {
    storage.setItem(KEY, token.trim());
  } else {
    storage.removeItem(KEY);
  }
}
