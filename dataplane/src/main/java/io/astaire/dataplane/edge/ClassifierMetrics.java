package io.astaire.dataplane.edge;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.astaire.dataplane.classify.RuleHitLedger;
import io.astaire.dataplane.classify.RuleNames;
import io.astaire.model.TopologyCodec;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The classifier's counters on {@code /metrics}, read when scraped (nothing is recorded here on
 * the packet path):
 *
 * <pre>
 * astaire_classifier_lookups_total{worker, result=hit|miss}  packets the flow cache answered, or looked up in the rules (a new flow)
 * astaire_classifier_cache_bypassed{worker}                 1 while a flood of new flows has the worker bypass its flow cache
 * astaire_classifier_chain_hits_total{chain}                 packets classified to each chain (its rules; unmatched traffic for the default)
 * astaire_classifier_rule_hits_total{rule, chain}            packets each rule classified: the first {@link #RULE_SERIES} rules in priority order
 * astaire_classifier_unmatched_total                         packets no rule matched (to the default chain, or dropped)
 * astaire_classifier_hit_counters_bytes                      memory of the hit counters (8 bytes per rule per worker)
 * </pre>
 *
 * Every rule's count, however many, is at {@code GET /classifier/rules} (JSON, {@link #rulesJson()}).
 * Counts follow a rule or chain by name across rule-set changes ({@link RuleHitLedger}).
 */
final class ClassifierMetrics {
    /** Rules with their own series on /metrics, in priority order: beyond it, /classifier/rules. */
    static final int RULE_SERIES = 1000;

    private final MeterRegistry registry;
    private final EdgeNode node;
    private final Tags common;
    private final Map<String, Meter> ruleMeters = new HashMap<>();
    private final Map<String, Meter> chainMeters = new HashMap<>();
    private volatile Counts counts;

    /** The last snapshot, by name: what the meters read. */
    private record Counts(RuleHitLedger.Snapshot snapshot, Map<String, Long> rules) {
        long rule(String name) {
            return rules.getOrDefault(name, 0L);
        }
    }

    ClassifierMetrics(MeterRegistry registry, EdgeNode node, Tags common) {
        this.registry = registry;
        this.node = node;
        this.common = common;
        for (TunToNetworkWorker w : node.classifyingWorkers()) {
            Tags worker = common.and("worker", w.roleName());
            FunctionCounter.builder("astaire.classifier.lookups", w, x -> x.classifier().hits())
                    .description("packets classified: answered by the worker's flow cache (hit) or looked up in the rules (miss: a new flow, or one the cache evicted)")
                    .tags(worker.and("result", "hit")).register(registry);
            FunctionCounter.builder("astaire.classifier.lookups", w, x -> x.classifier().misses())
                    .description("packets classified: answered by the worker's flow cache (hit) or looked up in the rules (miss: a new flow, or one the cache evicted)")
                    .tags(worker.and("result", "miss")).register(registry);
            Gauge.builder("astaire.classifier.cache.bypassed", w, x -> x.classifier().bypassingCache() ? 1 : 0)
                    .description("1 while a flood of new flows makes the worker's flow cache cost more than it saves: the worker looks packets up in the rules directly, a sample of them still through the cache")
                    .tags(worker).register(registry);
        }
        FunctionCounter.builder("astaire.classifier.unmatched", this, m -> m.counts == null ? 0 : m.counts.snapshot().unmatched())
                .description("packets no classifier rule matched: sent on the default chain, or dropped (dropped{reason=no_match})")
                .tags(common).register(registry);
        Gauge.builder("astaire.classifier.hit.counters", node, n -> n.tables() == null ? 0 : n.tables().hits().memoryBytes())
                .description("bytes of the per-rule hit counters (8 per rule per worker, beside the classifier's memory)")
                .baseUnit("bytes").tags(common).register(registry);
        refresh();
    }

    /** Takes a snapshot of the hits and gives new rules and chains their series (and drops those of the ones gone). */
    synchronized void refresh() {
        RuleHitLedger.Snapshot s = node.ruleHits().snapshot();
        RuleNames names = s.names();
        Map<String, Long> rules = new HashMap<>();
        Map<String, String> shown = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            rules.put(names.rule(i), s.rules()[i]);
            if (i < RULE_SERIES) {
                shown.put(names.rule(i), names.chain(i));
            }
        }
        counts = new Counts(s, rules);
        retain(ruleMeters, shown.keySet());
        shown.forEach((rule, chain) -> ruleMeters.computeIfAbsent(rule, r -> FunctionCounter
                .builder("astaire.classifier.rule.hits", this, m -> m.counts.rule(r))
                .description("packets each classifier rule classified (the first " + RULE_SERIES
                        + " rules in priority order; every rule at /classifier/rules)")
                .tags(common.and("rule", r, "chain", chain)).register(registry)));
        retain(chainMeters, s.chains().keySet());
        for (String chain : s.chains().keySet()) {
            chainMeters.computeIfAbsent(chain, c -> FunctionCounter
                    .builder("astaire.classifier.chain.hits", this, m -> m.counts.snapshot().chains().getOrDefault(c, 0L))
                    .description("packets classified to each chain: by its rules, and the unmatched ones for the default chain")
                    .tags(common.and("chain", c)).register(registry));
        }
    }

    /** Removes the meters whose key is not in {@code keep}. */
    private void retain(Map<String, Meter> meters, java.util.Set<String> keep) {
        meters.entrySet().removeIf(e -> {
            if (keep.contains(e.getKey())) {
                return false;
            }
            registry.remove(e.getValue());
            return true;
        });
    }

    /**
     * Every rule's hits in priority order, and every chain's, as JSON:
     * {@code {"role":"ingress","version":3,"rules":[{"rule":"web","chain":"web","hits":12}],"chains":{"web":12},"unmatched":0}}.
     */
    String rulesJson() {
        RuleHitLedger.Snapshot s = node.ruleHits().snapshot();
        RuleNames names = s.names();
        List<Map<String, Object>> rules = new ArrayList<>(names.size());
        for (int i = 0; i < names.size(); i++) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("rule", names.rule(i));
            r.put("chain", names.chain(i));
            r.put("hits", s.rules()[i]);
            rules.add(r);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("role", node.role().label());
        body.put("version", node.appliedVersion());
        body.put("rules", rules);
        body.put("chains", s.chains());
        body.put("unmatched", s.unmatched());
        try {
            return TopologyCodec.jsonMapper().writeValueAsString(body) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the rule hits: " + e.getMessage(), e);
        }
    }
}
