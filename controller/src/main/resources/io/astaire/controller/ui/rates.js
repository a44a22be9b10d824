// Per-second rates from the counter totals nodes report. A node reports every few seconds (its
// reportIntervalMillis) while the page polls every second, so a rate is computed only when a new
// report arrives, over the time between the node's two reports (lastSeen), never over the page's
// polling period: that would show a saw-tooth of zeros between reports.

export class RateTracker {
  constructor() {
    this.nodes = new Map(); // name -> {seenMs, counters, rates}
  }

  /**
   * Takes the nodes as GET /api/v1/nodes lists them; returns name -> {counter: per second}.
   * A node's rates are null until its second report, and again after its counters went back
   * (the node restarted): then no delta is known.
   */
  update(nodes) {
    const seen = new Set();
    for (const node of nodes) {
      seen.add(node.name);
      const seenMs = Date.parse(node.lastSeen);
      const counters = node.counters || {};
      const before = this.nodes.get(node.name);
      if (!before || !Number.isFinite(seenMs)) {
        this.nodes.set(node.name, {seenMs, counters, rates: null});
        continue;
      }
      if (seenMs === before.seenMs) {
        continue; // the same report as last poll: keep its rates
      }
      this.nodes.set(node.name, {seenMs, counters, rates: rates(before, counters, seenMs)});
    }
    for (const name of [...this.nodes.keys()]) {
      if (!seen.has(name)) {
        this.nodes.delete(name); // expired, or the controller restarted and has not heard from it yet
      }
    }
    const out = new Map();
    for (const [name, entry] of this.nodes) {
      out.set(name, entry.rates);
    }
    return out;
  }
}

function rates(before, counters, seenMs) {
  const seconds = (seenMs - before.seenMs) / 1000;
  if (!(seconds > 0)) {
    return null; // a clock step backwards: no rate rather than a negative or infinite one
  }
  const result = {};
  for (const [name, value] of Object.entries(counters)) {
    const previous = before.counters[name];
    if (previous === undefined) {
      result[name] = value / seconds; // a counter that appears (drop reasons do once they happen) started at 0
    } else if (value < previous) {
      return null; // the node restarted: its totals began again
    } else {
      result[name] = (value - previous) / seconds;
    }
  }
  return result;
}
