// "Trace a probe": sends POST /api/v1/chains/{chain}/trace with the write token and lists the
// hops the probe took; app.js highlights them on the graph. Every failure is shown as text.
import {postJson} from './api.js';
import {readToken, storeToken} from './token.js';

const NUMBERS = ['sourcePort', 'destinationPort'];

export function setUpTrace(form, messageEl, listEl, storage, chainName, onTrace) {
  form.elements.token.value = readToken(storage);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const chain = chainName();
    const token = form.elements.token.value.trim();
    storeToken(storage, token);
    let request;
    try {
      request = traceRequest(form);
    } catch (e) {
      show(messageEl, e.message, 'error');
      return;
    }
    if (!chain) {
      show(messageEl, 'no chain to trace: the controller has none', 'error');
      return;
    }
    if (!token) {
      show(messageEl, 'a trace is a write: give the controller\'s write token (or open the page as /ui#token=…)', 'error');
      return;
    }
    form.elements['trace-start'].disabled = true;
    show(messageEl, `tracing ${request.protocol} to ${request.destination} through ${chain}…`, '');
    listEl.replaceChildren();
    onTrace(null);
    try {
      const trace = await postJson('/chains/' + encodeURIComponent(chain) + '/trace', request, token);
      show(messageEl, `${trace.message || trace.outcome}${flowText(trace.flow)}`, trace.outcome === 'arrived' ? 'ok' : 'error');
      listHops(listEl, trace.hops || []);
      onTrace(trace);
    } catch (e) {
      show(messageEl, 'trace failed: ' + e.message, 'error');
    } finally {
      form.elements['trace-start'].disabled = false;
    }
  });
}

/** The request body from the form; throws with a message naming the field when one is wrong. */
export function traceRequest(form) {
  const body = {destination: form.elements.destination.value.trim(), protocol: form.elements.protocol.value, timeoutMillis: 2000};
  if (!body.destination) {
    throw new Error('destination: give the address the probe goes to, e.g. 10.2.0.2');
  }
  const source = form.elements.source.value.trim();
  if (source) {
    body.source = source;
  }
  for (const name of NUMBERS) {
    const text = form.elements[name].value.trim();
    if (!text) {
      continue;
    }
    const port = Number(text);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new Error(`${name}: '${text}' is not a port (0-65535)`);
    }
    if (body.protocol === 'icmp') {
      throw new Error(`${name}: ICMP has no ports`);
    }
    body[name] = port;
  }
  return body;
}

function listHops(listEl, hops) {
  for (const h of hops) {
    const li = document.createElement('li');
    li.className = h.verdict === 'dropped' ? 'dropped' : h.direction;
    li.dataset.verdict = h.verdict;
    const where = h.role === 'sf' ? (h.functions || []).join('+') : h.role;
    const indexes = h.siIn == null ? `SI ${h.siOut}` : `SI ${h.siIn}→${h.siOut}`;
    const ttl = h.ttlIn == null ? (h.ttlOut == null ? '' : ` TTL ${h.ttlOut}`) : ` TTL ${h.ttlIn}→${h.ttlOut}`;
    let line = `${h.direction} ${where} (${h.node}, ${h.address}): ${h.verdict}, SPI ${h.spi} ${indexes}${ttl}`;
    if (h.reason) {
      line += ` — ${h.reason}` + (h.detail ? ` (${h.detail})` : '');
    }
    if (h.next) {
      line += ` → ${h.next}`;
    }
    if (h.elapsedMicros != null) {
      line += ` [+${h.elapsedMicros} µs]`;
    }
    li.textContent = line;
    listEl.append(li);
  }
}

/** The flow the controller probed with (it fills in what the form left out). */
function flowText(flow) {
  if (!flow) {
    return '';
  }
  const end = (address, port) => address + (port == null ? '' : ':' + port);
  return ` (${flow.protocol} ${end(flow.source, flow.sourcePort)} → ${end(flow.destination, flow.destinationPort)})`;
}

function show(el, text, cls) {
  el.textContent = text;
  el.className = cls;
}
