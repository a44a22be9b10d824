package io.astaire.dataplane.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** The worker contract's runner on real threads: failures that repeat, Errors, the end, and close. */
@Timeout(30)
class AgentRunnerTest {

    private final ListAppender<ILoggingEvent> log = new ListAppender<>();

    @BeforeEach
    void captureLog() {
        log.start();
        ((Logger) LoggerFactory.getLogger(AgentRunner.class)).addAppender(log);
    }

    @AfterEach
    void releaseLog() {
        ((Logger) LoggerFactory.getLogger(AgentRunner.class)).detachAppender(log);
    }

    private static Agent agent(String name, java.util.function.IntSupplier work) {
        return new Agent() {
            @Override
            public int doWork() {
                return work.getAsInt();
            }

            @Override
            public String roleName() {
                return name;
            }
        };
    }

    private long errorLines() {
        return log.list.stream().filter(e -> e.getLevel() == Level.ERROR).count();
    }

    @Test
    void aFailureThatRepeatsEveryTurnNeitherSpinsNorFloodsTheLog() throws Exception {
        AtomicInteger turns = new AtomicInteger();
        AtomicLong counted = new AtomicLong();
        AgentRunner runner = new AgentRunner(agent("failing-0", () -> {
            turns.incrementAndGet();
            throw new IllegalStateException("errno 71 nobody expected");
        }), IdleStrategy.NONE, counted::addAndGet);
        long start = System.nanoTime();
        runner.start(true);
        Thread.sleep(500);
        runner.close();
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        int n = turns.get();
        assertThat(n).as("turns in %d ms", elapsedMillis).isBetween(3, (int) (elapsedMillis / 10) + 2);
        assertThat(counted.get()).as("every failed turn counted").isBetween((long) n - 1, (long) n);
        assertThat(errorLines()).as("the first three with their stack, then one line per 10 000").isEqualTo(3);
        assertThat(runner.fatal()).isNull();
        assertThat(runner.thread().isAlive()).isFalse();
    }

    @Test
    void anErrorEndsTheAgentLoudlyOnceAndIsKept() throws Exception {
        AtomicLong counted = new AtomicLong();
        AgentRunner runner = new AgentRunner(agent("dying-0", () -> {
            throw new OutOfMemoryError("Java heap space");
        }), IdleStrategy.NONE, counted::addAndGet).start(true);
        runner.thread().join(5000);
        assertThat(runner.thread().isAlive()).isFalse();
        assertThat(runner.fatal()).isInstanceOf(OutOfMemoryError.class);
        assertThat(runner.deathNotice()).isEqualTo("dying-0 stopped: java.lang.OutOfMemoryError: Java heap space");
        assertThat(counted.get()).as("an Error is not an internal error of a turn").isZero();
        assertThat(errorLines()).isEqualTo(1);
    }

    @Test
    void anAgentThatIsDoneEndsQuietlyAndIdlesOnlyAfterTurnsWithoutWork() throws Exception {
        AtomicInteger turns = new AtomicInteger();
        AtomicInteger idles = new AtomicInteger();
        AgentRunner runner = new AgentRunner(agent("finite-0", () -> {
            int t = turns.incrementAndGet();
            return t > 5 ? Agent.DONE : t % 2; // work, none, work, none, work, done
        }), work -> {
            if (work == 0) {
                idles.incrementAndGet();
            }
        }, n -> { }).start(true);
        runner.thread().join(5000);
        assertThat(turns.get()).isEqualTo(6);
        assertThat(idles.get()).isEqualTo(2);
        assertThat(runner.fatal()).isNull();
        assertThat(runner.deathNotice()).isNull();
        assertThat(errorLines()).isZero();
    }

    @Test
    void closeOnAnInterruptedThreadWaitsUntilTheAgentLeftItsTurn() throws Exception {
        CountDownLatch inTurn = new CountDownLatch(1);
        AtomicInteger finished = new AtomicInteger();
        AgentRunner runner = new AgentRunner(agent("slow-0", () -> {
            inTurn.countDown();
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
            while (System.nanoTime() < until) {
                Thread.onSpinWait(); // a turn that does not look at interrupts, like a native call
            }
            finished.incrementAndGet();
            return 1;
        }), IdleStrategy.NONE, n -> { }).start(true);
        inTurn.await();
        Thread.currentThread().interrupt();
        try {
            runner.close();
            assertThat(runner.thread().isAlive()).as("the agent left its loop before close returned").isFalse();
            assertThat(finished.get()).isPositive();
            assertThat(Thread.currentThread().isInterrupted()).as("the interrupt is kept").isTrue();
        } finally {
            Thread.interrupted();
        }
        await().atMost(Duration.ofSeconds(1)).until(() -> !runner.thread().isAlive());
    }
}
