// The table under the graph: one row per node of each hop, with its rates, totals, drops by
// reason and the topology version it runs. Cells carry data-field names (the system test and
// anyone scripting the page read them).

/** A rate for people: never NaN; 0 is "0". */
export function formatRate(perSecond) {
  if (perSecond === null || perSecond === undefined || !Number.isFinite(perSecond)) {
    return '–';
  }
  if (perSecond === 0) {
    return '0';
  }
  return perSecond < 10 ? perSecond.toFixed(1) : Math.round(perSecond).toLocaleString('en');
}

export function formatBytes(perSecond) {
  if (perSecond === null || !Number.isFinite(perSecond)) {
    return null;
  }
  const units = ['B/s', 'KB/s', 'MB/s', 'GB/s'];
  let v = perSecond;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return (u === 0 ? Math.round(v) : v.toFixed(1)) + ' ' + units[u];
}

export function drawPanel(tbody, view, version, now) {
  tbody.replaceChildren();
  if (!view) {
    return;
  }
  for (const hop of view.hops) {
    if (hop.nodes.length === 0) {
      const tr = row(hop.id, '');
      tr.append(cell('hop', hop.label), cell('node', 'no node reports it', 'muted'));
      tr.lastChild.colSpan = 10;
      tbody.append(tr);
      continue;
    }
    for (const n of hop.nodes) {
      const tr = row(hop.id, n.name);
      tr.classList.toggle('stale', n.stale);
      const rate = v => n.stale ? 'stale' : !n.measured ? '…' : formatRate(v);
      const bytes = formatBytes(n.bytesPerSecond);
      tr.append(
        cell('hop', hop.label),
        cell('node', n.name),
        cell('version', versionText(n, version), n.behind || n.rejected ? 'warn' : ''),
        // A function node's directions are its counts on the chain's two SPIs; '–' where it reports none.
        cell('pps-fwd', rate(n.ppsForward), 'num'),
        cell('pps-rev', rate(n.ppsReverse), 'num'),
        cell('pps-all', rate(n.ppsAll), 'num'),
        cell('packets', n.all === null ? '–' : n.all.toLocaleString('en'), 'num'),
        cell('bytes', bytes ?? 'not reported', bytes ? 'num' : 'muted'),
        cell('drops', dropText(n), n.dropTotal ? 'drops' : 'muted'),
        // Only function nodes measure the time a packet spends in them; the edges show '–'.
        cell('latency', n.latencyMicros !== null ? n.latencyMicros + ' µs' : hop.role === 'sf' && !n.measured ? '…' : '–',
            n.latencyMicros !== null ? 'num' : 'muted'),
        cell('seen', ago(n.lastSeen, now), n.stale ? 'warn' : 'muted'),
      );
      tr.querySelector('[data-field="pps-all"]').dataset.total = String(n.all ?? '');
      tr.querySelector('[data-field="pps-all"]').dataset.value = String(n.measured && !n.stale ? n.ppsAll ?? '' : '');
      tr.querySelector('[data-field="drops"]').dataset.total = String(n.dropTotal);
      tbody.append(tr);
    }
  }
}

function versionText(n, version) {
  let t = n.appliedVersion === null ? 'none yet' : 'v' + n.appliedVersion;
  if (n.behind) {
    t += ` (behind v${version})`;
  }
  if (n.rejected) {
    t += ` (refused v${n.rejected.version}: ${n.rejected.reason})`;
  }
  return t;
}

function dropText(n) {
  const reasons = Object.keys(n.drops).sort();
  if (reasons.length === 0) {
    return '0';
  }
  return reasons.map(r => {
    const rate = n.dropRates[r];
    return `${r} ${n.drops[r]}` + (rate ? ` (${formatRate(rate)}/s)` : '');
  }).join(', ');
}

function ago(iso, now) {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) {
    return '?';
  }
  const s = Math.max(0, Math.round((now - t) / 1000));
  return s + ' s ago';
}

function row(hop, node) {
  const tr = document.createElement('tr');
  tr.dataset.hop = hop;
  if (node) {
    tr.dataset.node = node;
  }
  return tr;
}

function cell(field, content, cls) {
  const td = document.createElement('td');
  td.dataset.field = field;
  td.textContent = content;
  if (cls) {
    td.className = cls;
  }
  return td;
}
