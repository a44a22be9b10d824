// The live view's main loop: every second it reads the topology, the nodes' reports and the
// readiness from the controller, and redraws. While the controller does not answer it keeps the
// last picture (greyed) and says since when; it recovers by itself when the controller is back.
import {getJson} from './api.js';
import {adoptFragmentToken} from './token.js';
import {RateTracker} from './rates.js';
import {chainView} from './chain.js';
import {drawGraph} from './graph.js';
import {drawPanel} from './panel.js';
import {setUpTrace} from './trace.js';

const POLL_MS = 1000;

const $ = id => document.getElementById(id);
const state = {
  chain: null, // the chain shown, chosen in the select
  trace: null, // the last trace's answer, highlighted until the next one or another chain
  downSince: null,
  last: null, // {topology, nodes, readiness}
};
const rates = new RateTracker();

adoptFragmentToken(window.location, window.history, window.sessionStorage);
setUpTrace($('trace-form'), $('trace-message'), $('trace-hops'), window.sessionStorage, () => state.chain, trace => {
  state.trace = trace;
  render();
});
$('chain').addEventListener('change', () => {
  state.chain = $('chain').value;
  state.trace = null;
  render();
});
poll();

async function poll() {
  try {
    const [topology, nodes, readiness] = await Promise.all([
      getJson('/topology'), getJson('/nodes'), getJson('/topology/readiness')]);
    state.last = {topology, nodes, readiness, rates: rates.update(nodes)};
    state.downSince = null;
    document.body.classList.remove('offline');
    chooseChain(topology);
    render();
  } catch (e) {
    state.downSince ??= new Date();
    showStatus(`controller unreachable since ${clock(state.downSince)}: ${e.message}; retrying every second` +
        (state.last ? ' (showing the last answer)' : ''), 'error');
    document.body.classList.add('offline');
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

function chooseChain(topology) {
  const names = (topology.chains || []).map(c => c.name);
  const select = $('chain');
  if (select.options.length !== names.length || names.some((n, i) => select.options[i].value !== n)) {
    select.replaceChildren(...names.map(n => new Option(n, n)));
  }
  if (!names.includes(state.chain)) {
    state.chain = names.includes(topology.defaultChain) ? topology.defaultChain : names[0] ?? null;
    state.trace = null;
  }
  if (state.chain) {
    select.value = state.chain;
  }
}

function render() {
  if (!state.last) {
    return;
  }
  const {topology, nodes, readiness} = state.last;
  const version = readiness.version;
  const view = state.chain ? chainView(topology, state.chain, nodes, state.last.rates, version) : null;
  drawGraph($('graph'), view, state.trace);
  drawPanel(document.querySelector('#hops tbody'), view, version, Date.now());
  $('versions').textContent = `topology v${version}, edges send by v${readiness.readyVersion}`;
  $('spi-fwd').textContent = view ? view.spi : '?';
  $('spi-rev').textContent = view ? view.reverseSpi : '?';
  $('waiting').textContent = readiness.ready ? '' : 'waiting for: ' + (readiness.waitingFor || []).join('; ');
  const stale = nodes.filter(n => n.stale).length;
  const text = !view ? 'live, but the controller has no chain yet'
      : `live · ${nodes.length} node${nodes.length === 1 ? '' : 's'} reporting` + (stale ? `, ${stale} stale` : '') +
      ` · updated ${clock(new Date())}`;
  showStatus(text, stale ? 'warn' : 'ok');
}

function showStatus(text, cls) {
  const s = $('status');
  s.textContent = text;
  s.className = 'status ' + cls;
}

function clock(d) {
  return d.toTimeString().slice(0, 8);
}
