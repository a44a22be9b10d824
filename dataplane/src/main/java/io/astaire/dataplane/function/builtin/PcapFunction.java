package io.astaire.dataplane.function.builtin;

import io.astaire.function.FunctionConfig;
import io.astaire.function.FunctionConfigException;
import io.astaire.function.PacketContext;
import io.astaire.function.ServiceFunction;
import io.astaire.function.Verdict;
import io.astaire.wire.pcap.PcapWriter;
import io.micrometer.core.instrument.Tags;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tap: writes the inner IP packets it sees to a pcap file (link type RAW, which Wireshark,
 * tshark and tcpdump open) and forwards them unchanged. The packet path only copies the packet
 * into a free slot of a preallocated ring; a background thread writes the file. When the ring is
 * full (the disk is slower than the traffic) the packet is not captured, is still forwarded, and
 * is counted as skipped: capture never slows or blocks the workers.
 *
 * <pre>
 * config:
 *   file: /var/tmp/astaire-acl.pcap   # required; created (or truncated) at start
 *   slots: 1024                       # ring size, a power of two
 *   snapLength: 2048                  # bytes kept of each packet (longer ones are cut, flagged in pcap)
 * </pre>
 *
 * Metric: {@code astaire_pcap_packets_total{function, result=captured|skipped|failed}}
 * (captured: copied to the ring; skipped: ring full; failed: the file could not be written).
 */
public final class PcapFunction implements ServiceFunction {
    public static final String KIND = "pcap";
    private static final Logger LOG = LoggerFactory.getLogger(PcapFunction.class);

    /** The function's config as written in the topology. */
    public record Config(String file, Integer slots, Integer snapLength) {}

    private final LongAdder captured = new LongAdder();
    private final LongAdder skipped = new LongAdder();
    private final LongAdder failed = new LongAdder();

    private String name;
    private MeterSet metrics;
    private Path file;
    private int snapLength;
    private CaptureRing ring;
    private long wallMicrosAtStart;
    private long nanosAtStart;
    private volatile boolean running;
    private Thread writer;
    private OutputStream stream;
    private PcapWriter out;

    @Override
    public void configure(FunctionConfig config) {
        Config c = config.bind(Config.class);
        if (c.file() == null || c.file().isBlank()) {
            throw config.invalid("file", "is required (the pcap file to write)");
        }
        int slots = c.slots() == null ? 1024 : c.slots();
        if (slots < 2 || slots > (1 << 20) || Integer.bitCount(slots) != 1) {
            throw config.invalid("slots", slots + " is not a power of two between 2 and 1048576");
        }
        snapLength = c.snapLength() == null ? 2048 : c.snapLength();
        if (snapLength < 64 || snapLength > 65535) {
            throw config.invalid("snapLength", snapLength + " is outside 64-65535");
        }
        name = config.name();
        file = Path.of(c.file());
        ring = new CaptureRing(slots, snapLength);
        metrics = new MeterSet(config.meters(), config.tags());
        metrics.counter("astaire.pcap.packets", "Packets seen by the pcap function, by result: captured, skipped (ring full), failed (file not writable)",
                null, Tags.of("result", "captured"), captured, LongAdder::sum);
        metrics.counter("astaire.pcap.packets", "Packets seen by the pcap function, by result: captured, skipped (ring full), failed (file not writable)",
                null, Tags.of("result", "skipped"), skipped, LongAdder::sum);
        metrics.counter("astaire.pcap.packets", "Packets seen by the pcap function, by result: captured, skipped (ring full), failed (file not writable)",
                null, Tags.of("result", "failed"), failed, LongAdder::sum);
    }

    @Override
    public void start() {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            stream = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
            out = new PcapWriter(Channels.newChannel(stream), PcapWriter.LINKTYPE_RAW, snapLength);
        } catch (IOException e) {
            throw new FunctionConfigException("functions." + name + ".config.file", "cannot be written: " + e, e);
        }
        wallMicrosAtStart = TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis());
        nanosAtStart = System.nanoTime();
        running = true;
        writer = Thread.ofPlatform().name("pcap-" + name).daemon(true).start(this::drainLoop);
    }

    @Override
    public Verdict process(PacketContext packet) {
        long micros = wallMicrosAtStart + (System.nanoTime() - nanosAtStart) / 1000;
        if (ring.offer(packet.buffer(), packet.innerOffset(), packet.innerLength(), micros)) {
            captured.increment();
        } else {
            skipped.increment();
        }
        return Verdict.FORWARD;
    }

    private void drainLoop() {
        boolean dirty = false;
        while (running) {
            if (drain()) {
                dirty = true;
            } else {
                if (dirty) {
                    flush();
                    dirty = false;
                }
                LockSupport.parkNanos(1_000_000);
            }
        }
    }

    private final CaptureRing.Reader toFile = (slot, original, micros) -> {
        try {
            if (out != null) {
                out.write(micros, slot, 0, original); // cuts at snapLength, the slot's size
                return;
            }
        } catch (IOException e) {
            LOG.error("pcap {}: cannot write {}, capture stops: {}", name, file, e.toString());
            closeQuietly();
        }
        failed.increment();
    };

    private boolean drain() {
        boolean any = false;
        while (ring.poll(toFile)) {
            any = true;
        }
        return any;
    }

    private void flush() {
        try {
            if (out != null) {
                stream.flush();
            }
        } catch (IOException e) {
            LOG.error("pcap {}: cannot write {}, capture stops: {}", name, file, e.toString());
            closeQuietly();
        }
    }

    private void closeQuietly() {
        try {
            if (out != null) {
                out.close();
            }
        } catch (IOException ignored) {
            // already failing; the first error was logged
        }
        out = null;
    }

    /** Writes what is still in the ring, then closes the file. */
    @Override
    public void stop() {
        running = false;
        if (writer != null) {
            try {
                writer.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            writer = null;
        }
        drain();
        closeQuietly();
        if (metrics != null) {
            metrics.close();
        }
    }
}
