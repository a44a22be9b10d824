package io.astaire.cli;

import static io.astaire.cli.SfCommandTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code astaire train} runs both of its nodes over real loopback sockets, delivers traffic
 * through each and ends by itself. That the JVM then builds a cache from it, and a later JVM uses
 * it, is systest's AotCacheTest (it needs the packaged jar).
 */
class TrainCommandTest {

    /** Far above the few seconds asked for: only a run that does not end by itself fails it. */
    private static final Duration ENDS_BY_ITSELF = Duration.ofSeconds(90);
    private static final Pattern STAGE = Pattern.compile(
            "astaire train: (.+): sent (\\d+), delivered (\\d+) \\((\\d+) malformed, (\\d+) unclassified\\)");

    @Test
    void trainingDeliversThroughBothNodesAndEndsByItself() {
        SfCommandTest.Run r = assertTimeoutPreemptively(ENDS_BY_ITSELF, () -> run("train", "--seconds", "4", "--packets", "50000"));
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        List<String> stages = r.out().lines().filter(l -> STAGE.matcher(l).find()).toList();
        assertThat(stages).hasSize(2);
        assertThat(stages.get(0)).contains("sf fixed mode, passthrough");
        assertThat(stages.get(1)).contains("sf topology mode, acl + counter");
        for (String line : stages) {
            Matcher m = STAGE.matcher(line);
            assertThat(m.find()).isTrue();
            long sent = Long.parseLong(m.group(2));
            long delivered = Long.parseLong(m.group(3));
            assertThat(sent).as(line).isPositive().isLessThanOrEqualTo(50_000 + 64);
            assertThat(delivered).as(line).isPositive().isLessThanOrEqualTo(sent);
            assertThat(m.group(4)).as("datagrams the egress could not decapsulate: " + line).isEqualTo("0");
            assertThat(m.group(5)).as("packets no training rule matched: " + line).isEqualTo("0");
        }
        assertThat(r.out()).contains("astaire train: done in");
    }

    @Test
    void itIsHiddenFromTheMainHelpButHasItsOwn() {
        assertThat(run("--help").out()).doesNotContain("train");
        SfCommandTest.Run help = run("train", "--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("Usage: astaire train").contains("AOT cache").contains("--seconds").contains("--packets");
    }

    @Test
    void outOfRangeArgumentsAreRefusedByName() {
        SfCommandTest.Run seconds = run("train", "--seconds", "0");
        assertThat(seconds.exit()).isEqualTo(2);
        assertThat(seconds.err()).contains("--seconds");
        SfCommandTest.Run packets = run("train", "--packets", "0");
        assertThat(packets.exit()).isEqualTo(2);
        assertThat(packets.err()).contains("--packets");
    }
}
