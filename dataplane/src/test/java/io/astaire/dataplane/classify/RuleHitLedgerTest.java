package io.astaire.dataplane.classify;

import static org.assertj.core.api.Assertions.assertThat;

import io.astaire.model.IpPrefix;
import io.astaire.model.Protocol;
import io.astaire.model.RuleSpec;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Hit counts across rule-set changes: rules that stay keep theirs, chains keep their totals, counts of late workers are not lost. */
class RuleHitLedgerTest {

    private static RuleSpec rule(String name, int priority, String destination, String chain) {
        return new RuleSpec(name, priority, Protocol.ANY, null, IpPrefix.parse(destination), null, null, chain);
    }

    private static int index(RuleTable t, String name) {
        for (int i = 0; i < t.size(); i++) {
            if (t.ruleName(i).equals(name)) {
                return i;
            }
        }
        throw new AssertionError(name);
    }

    @Test
    void countsFollowRulesAndChainsByNameAndLateCountsOfAnOldTableAreKept() {
        RuleTable v1 = RuleTable.of(List.of(rule("dns", 20, "10.0.0.53/32", "resolvers"), rule("web", 10, "10.2.0.0/24", "web")),
                List.of(20, 10), RuleTable.NO_MATCH);
        // v2: web stays (at another index), dns and its chain leave, ssh arrives on web
        RuleTable v2 = RuleTable.of(List.of(rule("ssh", 30, "10.2.0.22/32", "web"), rule("web", 10, "10.2.0.0/24", "web")),
                List.of(10, 10), 99);
        RuleHits h1 = new RuleHits(v1, 2, 1);
        RuleHits h2 = new RuleHits(v2, 2, 2);
        AtomicLong oldestInUse = new AtomicLong(1);
        RuleHitLedger ledger = new RuleHitLedger(h1, oldestInUse::get);

        h1.add(0, index(v1, "web"), 5);
        h1.add(1, index(v1, "web"), 2);
        h1.add(1, index(v1, "dns"), 3);
        h1.add(0, -1, 4);
        RuleHitLedger.Snapshot s = ledger.snapshot();
        assertThat(s.rules()).containsExactly(3, 7);
        assertThat(s.chains()).containsExactly(java.util.Map.entry("resolvers", 3L), java.util.Map.entry("web", 7L));
        assertThat(s.unmatched()).isEqualTo(4);

        ledger.publish(h2);
        h1.add(1, index(v1, "web"), 1); // worker 1 finishes a batch with the old table
        h2.add(0, index(v2, "web"), 10);
        h2.add(0, index(v2, "ssh"), 1);
        h2.add(0, -1, 6); // unmatched, now to the default chain
        s = ledger.snapshot();
        assertThat(s.names().rule(index(v2, "web"))).isEqualTo("web");
        assertThat(s.rules()[index(v2, "web")]).as("5 + 2 + 1 late + 10").isEqualTo(18);
        assertThat(s.rules()[index(v2, "ssh")]).isEqualTo(1);
        assertThat(s.chains()).containsOnlyKeys("web", "default").containsEntry("web", 19L).containsEntry("default", 6L);
        assertThat(s.unmatched()).isEqualTo(10);

        oldestInUse.set(2); // every worker moved on: the old table is folded in, and the totals do not change
        RuleHitLedger.Snapshot folded = ledger.snapshot();
        assertThat(folded.rules()).containsExactly(s.rules());
        assertThat(folded.chains()).isEqualTo(s.chains());
        assertThat(folded.unmatched()).isEqualTo(10);

        // v3 brings dns back: a rule that left starts again from zero
        RuleTable v3 = RuleTable.of(List.of(rule("dns", 20, "10.0.0.53/32", "resolvers"), rule("web", 10, "10.2.0.0/24", "web")),
                List.of(20, 10), RuleTable.NO_MATCH);
        RuleHits h3 = new RuleHits(v3, 2, 3);
        ledger.publish(h3);
        oldestInUse.set(3);
        s = ledger.snapshot();
        assertThat(s.rules()[index(v3, "dns")]).isZero();
        assertThat(s.rules()[index(v3, "web")]).isEqualTo(18);
        assertThat(s.chains()).containsOnlyKeys("resolvers", "web").containsEntry("resolvers", 0L).containsEntry("web", 19L);
    }
}
