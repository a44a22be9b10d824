package io.astaire.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Secrets are created private, refused when exposed, never logged or told; one controller per database. */
class SecretsAndLockTest {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    @TempDir
    Path dir;

    @Test
    void theTokenFilesAreNeverSeenWithGroupOrOtherBitsDuringAHundredStarts() throws Exception {
        Path db = dir.resolve("astaire.db");
        Path writeToken = WriteToken.tokenFile(db);
        Path nodeToken = NodeSecret.fileBeside(db);
        ConcurrentLinkedQueue<String> exposed = new ConcurrentLinkedQueue<>();
        AtomicLong observations = new AtomicLong();
        Thread watcher = Thread.ofPlatform().daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                for (Path f : List.of(writeToken, nodeToken)) {
                    try {
                        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(f);
                        observations.incrementAndGet();
                        if (!OWNER_ONLY.containsAll(mode)) {
                            exposed.add(f.getFileName() + " " + PosixFilePermissions.toString(mode));
                        }
                    } catch (NoSuchFileException e) {
                        // between starts
                    } catch (java.io.IOException e) {
                        exposed.add(f + ": " + e);
                    }
                }
            }
        });
        try {
            for (int i = 0; i < 100; i++) {
                Files.deleteIfExists(writeToken);
                Files.deleteIfExists(nodeToken);
                try (ControllerServer server = ControllerServer.open(db, "127.0.0.1", 0, null)) {
                    assertThat(server.token().generated()).isTrue();
                    assertThat(server.nodeSecret().generated()).isTrue();
                }
            }
        } finally {
            watcher.interrupt();
            watcher.join();
        }
        assertThat(exposed).isEmpty();
        assertThat(observations.get()).as("the watcher saw the files").isPositive();
        assertThat(Files.getPosixFilePermissions(writeToken)).isEqualTo(OWNER_ONLY);
        assertThat(Files.getPosixFilePermissions(nodeToken)).isEqualTo(OWNER_ONLY);
    }

    @Test
    void aTokenFileReadableByOthersStopsTheStartNamingIt() throws Exception {
        Path db = dir.resolve("astaire.db");
        Files.writeString(WriteToken.tokenFile(db), "0123456789abcdef\n");
        Files.setPosixFilePermissions(WriteToken.tokenFile(db), PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> ControllerServer.open(db, "127.0.0.1", 0, null))
                .hasMessageContaining(WriteToken.tokenFile(db).toString()).hasMessageContaining("rw-r--r--")
                .hasMessageContaining("chmod 600");

        Files.setPosixFilePermissions(WriteToken.tokenFile(db), OWNER_ONLY);
        Files.writeString(NodeSecret.fileBeside(db), "fedcba9876543210\n");
        Files.setPosixFilePermissions(NodeSecret.fileBeside(db), PosixFilePermissions.fromString("rw----r--"));
        assertThatThrownBy(() -> ControllerServer.open(db, "127.0.0.1", 0, null))
                .hasMessageContaining("node token file").hasMessageContaining("accessible by group or others");

        Files.setPosixFilePermissions(NodeSecret.fileBeside(db), OWNER_ONLY);
        try (ControllerServer server = ControllerServer.open(db, "127.0.0.1", 0, null)) {
            assertThat(server.token().value()).isEqualTo("0123456789abcdef");
            assertThat(server.nodeSecret().value()).isEqualTo("fedcba9876543210");
        }
    }

    @Test
    void tokensReachNoLogAndA401NamesNoFile() {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
        Path db = dir.resolve("astaire.db");
        try (ControllerServer server = ControllerServer.open(db, "127.0.0.1", 0, null)) {
            Http anonymous = new Http(server.localUri(), null);
            for (Http.Response r : List.of(
                    anonymous.post("/api/v1/functions", ControllerApiTest.fn("a", 4791)),
                    anonymous.token("wrong").post("/api/v1/functions", ControllerApiTest.fn("a", 4791)),
                    anonymous.post("/api/v1/nodes/n/status", "{\"role\":\"sf\"}"),
                    anonymous.token("wrong").post("/api/v1/nodes/n/status", "{\"role\":\"sf\"}"))) {
                assertThat(r.status()).isEqualTo(401);
                assertThat(r.body()).doesNotContain(dir.toString()).doesNotContain(".token").doesNotContain("astaire.db");
            }
            assertThat(new Http(server.localUri(), server.token().value()).post("/api/v1/functions", ControllerApiTest.fn("a", 4791))
                    .status()).isEqualTo(201);
            for (ILoggingEvent e : logs.list) {
                assertThat(e.getFormattedMessage()).doesNotContain(server.token().value()).doesNotContain(server.nodeSecret().value());
            }
            assertThat(logs.list).as("the start was logged").isNotEmpty();
        } finally {
            root.detachAppender(logs);
        }
    }

    @Test
    void aSecondControllerOnTheSameDatabaseRefusesToStartWhileTheFirstKeepsServing() {
        Path db = dir.resolve("astaire.db");
        try (ControllerServer first = ControllerServer.open(db, "127.0.0.1", 0, RunningController.TOKEN)) {
            assertThatThrownBy(() -> ControllerServer.open(db, "127.0.0.1", 0, RunningController.TOKEN))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("database in use by pid " + ProcessHandle.current().pid());
            Http api = new Http(first.localUri(), RunningController.TOKEN);
            assertThat(api.post("/api/v1/functions", ControllerApiTest.fn("a", 4791)).status()).isEqualTo(201);
            assertThat(api.get("/api/v1/functions/a").status()).isEqualTo(200);
        }
        try (ControllerServer again = ControllerServer.open(db, "127.0.0.1", 0, RunningController.TOKEN)) {
            assertThat(again.registry().state().item(Kind.FUNCTION, "a")).as("the lock went with the first controller").isNotNull();
        }
    }
}
