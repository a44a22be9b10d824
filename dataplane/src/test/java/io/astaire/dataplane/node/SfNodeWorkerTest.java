package io.astaire.dataplane.node;

import static io.astaire.dataplane.node.TestPackets.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.astaire.dataplane.agent.AgentRunner;
import io.astaire.dataplane.counters.DropReason;
import io.astaire.model.HopAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * The node's workers under their runners: an injected fatal fault ends the worker loudly (logged
 * once, /readyz 503 naming it) instead of being counted as a drop; close on an interrupted thread
 * still waits until every worker has left its loop before sockets and functions go.
 */
@Timeout(60)
class SfNodeWorkerTest {

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private ListAppender<ILoggingEvent> log;

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        if (log != null) {
            ((Logger) LoggerFactory.getLogger(AgentRunner.class)).detachAppender(log);
        }
    }

    private <T extends AutoCloseable> T track(T c) {
        closeables.add(c);
        return c;
    }

    private static byte[] packet(int i, int port) {
        return TestPackets.nsh(77, 255, 63, TestPackets.udp4(ip("10.0.0.1") + i, ip("10.20.0.7"), 40000 + i, port, 100, i));
    }

    private SfNode fixedNode(Sink sink, String kind) {
        return track(SfNode.builder()
                .fixed(List.of(kind), HopAddress.parse("127.0.0.1:" + sink.address().getPort()))
                .listen(new InetSocketAddress("127.0.0.1", 0)).workers(1)
                .metricsListen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .functionFactory(TestFunctions::create).start());
    }

    @Test
    void aWorkerKilledByAnInjectedFaultMakesTheNodeNotReadyAndLogsOnce() throws Exception {
        log = new ListAppender<>();
        log.start();
        ((Logger) LoggerFactory.getLogger(AgentRunner.class)).addAppender(log);
        Sink sink = track(new Sink("next", new InetSocketAddress("127.0.0.1", 0)));
        SfNode node = fixedNode(sink, "fatal");
        Generator gen = track(new Generator());
        gen.send(node.localAddress(), packet(1, 80));
        await().atMost(Duration.ofSeconds(10)).until(() -> sink.received.size() == 1);
        assertThat(Metrics.get(node.metricsAddress(), "/readyz").statusCode()).isEqualTo(200);

        gen.send(node.localAddress(), packet(2, 14)); // the function throws OutOfMemoryError
        await().atMost(Duration.ofSeconds(10)).until(() -> !node.isReady());
        HttpResponse<String> ready = Metrics.get(node.metricsAddress(), "/readyz");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("astaire-sf-worker-0 stopped").contains("OutOfMemoryError").contains("injected by the test");
        assertThat(node.drops(DropReason.INTERNAL_ERROR)).as("an Error is not a packet drop").isZero();
        assertThat(Metrics.get(node.metricsAddress(), "/healthz").statusCode()).isEqualTo(200);

        // More packets do not revive it or log again: the worker is gone, loudly, once.
        for (int i = 0; i < 20; i++) {
            gen.send(node.localAddress(), packet(3 + i, 14));
        }
        Thread.sleep(300); // time for a (wrongly) surviving worker to log again; not a timing assertion
        assertThat(log.list.stream().filter(e -> e.getLevel() == Level.ERROR).map(ILoggingEvent::getFormattedMessage))
                .singleElement().asString().contains("astaire-sf-worker-0 stopped").contains("OutOfMemoryError");
        assertThat(node.workerThreads()).noneMatch(Thread::isAlive);
    }

    @Test
    void closeOnAnInterruptedThreadWaitsForTheWorkersForReal() throws Exception {
        Sink sink = track(new Sink("next", new InetSocketAddress("127.0.0.1", 0)));
        SfNode node = SfNode.builder()
                .fixed(List.of("stamp"), HopAddress.parse("127.0.0.1:" + sink.address().getPort()))
                .listen(new InetSocketAddress("127.0.0.1", 0)).workers(2)
                .functionFactory(TestFunctions::create).start();
        List<Thread> workers = node.workerThreads();
        assertThat(workers).hasSize(2).allMatch(Thread::isAlive);
        Thread.currentThread().interrupt();
        try {
            node.close();
            // The workers sit in a receive with a 100 ms timeout: a close whose joins returned at
            // once (interrupted) would free their sockets and functions while they still run.
            assertThat(workers).as("every worker ended before close returned").noneMatch(Thread::isAlive);
            assertThat(Thread.currentThread().isInterrupted()).as("the interrupt is kept").isTrue();
        } finally {
            Thread.interrupted();
        }
    }
}
