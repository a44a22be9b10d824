// The chain drawn in SVG: one box per hop in path order, the nodes serving it (its replicas)
// inside, forward arrows above (client -> server) and reverse arrows below (the replies).
// Redrawn whole on every poll: a handful of elements, and no state to keep in step.
import {traceStepsOf} from './chain.js';
import {formatRate} from './panel.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 190;
const GAP = 56;
const ROW = 20;
const TOP = 34;

export function drawGraph(svg, view, trace) {
  svg.replaceChildren();
  if (!view) {
    return;
  }
  const traceHops = trace ? trace.hops || [] : [];
  const heights = view.hops.map(h => 58 + ROW * Math.max(1, h.nodes.length, h.replicas || 0));
  const height = Math.max(...heights);
  const total = view.hops.length * WIDTH + (view.hops.length - 1) * GAP + 40;
  svg.setAttribute('viewBox', `0 0 ${total} ${height + TOP + 30}`);
  svg.setAttribute('width', total);
  svg.setAttribute('height', height + TOP + 30);
  arrowHeads(svg);

  view.hops.forEach((hop, i) => {
    const x = 20 + i * (WIDTH + GAP);
    const steps = traceStepsOf(hop, traceHops);
    const dropped = steps.find(s => s.hop.verdict === 'dropped');
    const g = el('g', {class: 'hop' + (steps.length ? ' traced' : '') + (dropped ? ' dropped' : ''), 'data-hop': hop.id});
    svg.append(g);
    g.append(el('rect', {x, y: TOP, width: WIDTH, height, rx: 8, class: 'hop-box'}));
    g.append(text(x + 10, TOP + 18, hop.label, 'hop-label'));
    g.append(text(x + 10, TOP + 34, hop.does + (hop.replicas ? ` · ${hop.replicas} replica${hop.replicas > 1 ? 's' : ''}` : ''), 'hop-does'));
    if (hop.nodes.length === 0) {
      g.append(text(x + 10, TOP + 56, 'no node reports it', 'node-missing'));
    }
    hop.nodes.forEach((n, j) => {
      const y = TOP + 44 + j * ROW;
      const state = n.stale ? 'stale' : n.behind || n.rejected ? 'behind' : 'ok';
      const row = el('g', {class: 'node ' + state, 'data-node': n.name});
      row.append(el('circle', {cx: x + 14, cy: y + 8, r: 5, class: 'node-dot'}));
      row.append(text(x + 24, y + 12, short(n.name, 16), 'node-name'));
      row.append(text(x + WIDTH - 10, y + 12, rateLabel(n), 'node-rate', 'end'));
      row.append(title(`${n.name}: topology v${n.appliedVersion ?? '?'}${n.stale ? ', stale' : ''}` +
          `${n.behind ? ', behind the controller' : ''}${n.rejected ? `, refused v${n.rejected.version}: ${n.rejected.reason}` : ''}`));
      g.append(row);
    });
    if (dropped) {
      const why = dropped.hop.reason + (dropped.hop.detail ? ` (${dropped.hop.detail})` : '');
      g.append(text(x + 10, TOP + height - 8, '✕ ' + short(why, 28), 'drop-label'));
    }
    steps.forEach((s, k) => {
      const cx = x + WIDTH - 14 - k * 24;
      g.append(el('circle', {cx, cy: TOP, r: 10, class: 'step ' + s.hop.direction}));
      g.append(text(cx, TOP + 4, String(s.index), 'step-number', 'middle'));
    });
    if (i + 1 < view.hops.length) {
      const flowing = hop.nodes.some(n => (n.ppsAll ?? 0) > 0);
      const x1 = x + WIDTH;
      const x2 = x + WIDTH + GAP;
      svg.append(el('line', {x1: x1 + 2, y1: TOP + 22, x2: x2 - 4, y2: TOP + 22, class: 'link forward' + (flowing ? ' flowing' : ''),
        'marker-end': 'url(#head)'}));
      if (view.symmetric) {
        svg.append(el('line', {x1: x2 - 2, y1: TOP + height - 22, x2: x1 + 4, y2: TOP + height - 22,
          class: 'link reverse' + (flowing ? ' flowing' : ''), 'marker-end': 'url(#head)'}));
      }
    }
  });
  svg.append(text(20, 20, `client → ${view.name} (SPI ${view.spi})`, 'direction-label'));
  if (view.symmetric) {
    svg.append(text(20, TOP + height + 22, `← replies (SPI ${view.reverseSpi})`, 'direction-label'));
  }
}

function rateLabel(n) {
  if (n.stale) {
    return 'stale';
  }
  return n.ppsAll === null ? '…' : formatRate(n.ppsAll) + ' pkt/s';
}

function arrowHeads(svg) {
  const defs = el('defs', {});
  const marker = el('marker', {id: 'head', viewBox: '0 0 10 10', refX: 8, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto'});
  marker.append(el('path', {d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head'}));
  defs.append(marker);
  svg.append(defs);
}

function el(name, attributes) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes)) {
    e.setAttribute(k, v);
  }
  return e;
}

function text(x, y, content, cls, anchor) {
  const t = el('text', {x, y, class: cls});
  if (anchor) {
    t.setAttribute('text-anchor', anchor);
  }
  t.textContent = content;
  return t;
}

function title(content) {
  const t = el('title', {});
  t.textContent = content;
  return t;
}

function short(s, n) {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}
