// The chain as the page shows it: its hops in path order (ingress, each function with the nodes
// that run it, egress) and, per node, what its report says, read through the counter names
// each role reports (see docs/controller.md, "The web view").

/** Packets per direction and drops, by the counter names of each role's report. */
const ROLES = {
  ingress: {forward: 'ingress.sent', reverse: 'ingress.delivered', all: null, dropPrefix: 'ingress.drop_'},
  egress: {forward: 'egress.delivered', reverse: 'egress.sent', all: null, dropPrefix: 'egress.drop_'},
  // A function node counts the datagrams it receives, and per service path (path.<spi>.packets):
  // the chain's forward and reverse SPIs are its two directions (see sfNames).
  sf: {forward: null, reverse: null, all: 'datagrams', dropPrefix: 'dropped.'},
};

/** A function node's counter names for one chain's directions. */
function sfNames(chain) {
  return {...ROLES.sf, forward: 'path.' + chain.spi + '.packets', reverse: 'path.' + (chain.spi | 0x800000) + '.packets'};
}

/**
 * @param topology GET /api/v1/topology
 * @param nodes GET /api/v1/nodes
 * @param rates RateTracker.update(nodes)
 * @param version the controller's topology version (X-Astaire-Version: the topology's own)
 */
export function chainView(topology, chainName, nodes, rates, version) {
  const chain = (topology.chains || []).find(c => c.name === chainName);
  if (!chain) {
    return null;
  }
  const functions = new Map((topology.functions || []).map(f => [f.name, f]));
  const hops = [];
  hops.push(edgeHop('ingress', topology.ingress, nodes, rates, version));
  for (const name of chain.functions) {
    const f = functions.get(name) || {name, kind: '?', replicas: 1};
    const serving = nodes.filter(n => n.role === 'sf' && (n.functions || []).includes(name));
    hops.push({
      id: name, role: 'sf', label: name, does: 'function ' + f.kind, address: f.address || '',
      replicas: f.replicas || 1, nodes: serving.map(n => nodeView(n, rates, version, sfNames(chain))),
    });
  }
  hops.push(edgeHop('egress', topology.egress, nodes, rates, version));
  return {
    name: chain.name, spi: chain.spi, symmetric: chain.symmetric !== false,
    reverseSpi: chain.spi | 0x800000, hops,
  };
}

function edgeHop(role, endpoint, nodes, rates, version) {
  return {
    id: role, role, label: role, does: role === 'ingress' ? 'classify, encapsulate' : 'decapsulate, deliver',
    address: endpoint && endpoint.address ? endpoint.address : '', replicas: null,
    nodes: nodes.filter(n => n.role === role).map(n => nodeView(n, rates, version)),
  };
}

function nodeView(node, rates, version, roleNames) {
  const names = roleNames || ROLES[node.role] || ROLES.sf;
  const counters = node.counters || {};
  const r = rates.get(node.name) || null;
  const pick = (from, key) => key === null || from === null ? null : (from[key] ?? 0);
  // A direction's counter the node does not report at all (a path it has not carried, an older
  // node) is unknown, not 0.
  const pickDir = (from, key) => key !== null && !(key in counters) ? null : pick(from, key);
  const drops = {};
  let dropTotal = 0;
  for (const [key, value] of Object.entries(counters)) {
    if (key.startsWith(names.dropPrefix) && value > 0) {
      drops[key.slice(names.dropPrefix.length)] = value;
      dropTotal += value;
    }
  }
  const bytesKeys = Object.keys(r ?? {}).filter(k => /bytes/.test(k));
  return {
    name: node.name,
    appliedVersion: node.appliedVersion ?? null,
    behind: node.appliedVersion != null && version != null && node.appliedVersion < version,
    rejected: node.rejected || null,
    stale: node.stale === true,
    lastSeen: node.lastSeen,
    measured: r !== null,
    forward: pickDir(counters, names.forward), reverse: pickDir(counters, names.reverse),
    all: names.all ? pick(counters, names.all) : sum(pick(counters, names.forward), pick(counters, names.reverse)),
    ppsForward: pickDir(r, names.forward), ppsReverse: pickDir(r, names.reverse),
    ppsAll: names.all ? pick(r, names.all) : sum(pick(r, names.forward), pick(r, names.reverse)),
    // Bytes: every counter with "bytes" in its name (the edges report sent and delivered bytes, a
    // function node the bytes it received). Hop latency: a function node reports the nanoseconds
    // its packets spent in it and how many there were; their rates' ratio is the mean over the
    // last report interval. The edges measure none (null: "not reported").
    bytesPerSecond: r && bytesKeys.length ? bytesKeys.reduce((s, k) => s + (r[k] ?? 0), 0) : null,
    latencyMicros: r && r['latency.count'] > 0 ? Math.round(r['latency.sum_ns'] / r['latency.count'] / 100) / 10 : null,
    drops, dropTotal,
    dropRates: r ? Object.fromEntries(Object.keys(drops).map(k => [k, r[names.dropPrefix + k] ?? 0])) : {},
  };
}

function sum(a, b) {
  return a === null || b === null ? null : a + b;
}

/** The trace hops (POST .../trace) that belong to a graph hop: by role, and by function for sf. */
export function traceStepsOf(hop, traceHops) {
  const steps = [];
  traceHops.forEach((t, i) => {
    const match = hop.role === 'sf' ? t.role === 'sf' && (t.functions || []).includes(hop.id) : t.role === hop.role;
    if (match) {
      steps.push({index: i + 1, hop: t});
    }
  });
  return steps;
}
