package io.astaire.dataplane.transport;

import static io.astaire.dataplane.transport.LinuxSockets.SETSOCKOPT;
import static io.astaire.dataplane.transport.LinuxSockets.SOCK_CLOEXEC;
import static io.astaire.dataplane.transport.LinuxSockets.SOL_UDP;
import static io.astaire.dataplane.transport.LinuxSockets.UDP_GRO;
import static io.astaire.dataplane.transport.LinuxSockets.UDP_SEGMENT;

import io.astaire.dataplane.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this kernel has UDP segmentation offloads ({@code UDP_SEGMENT} for GSO on send,
 * {@code UDP_GRO} for coalesced receive): asked once per process on a throw-away socket, so a
 * kernel without them costs one failed {@code setsockopt} each, not one per transport.
 */
public final class UdpOffload {

    private static final Logger LOG = LoggerFactory.getLogger(UdpOffload.class);
    private static final AtomicBoolean LOGGED = new AtomicBoolean();

    private UdpOffload() {}

    /** Whether {@code setsockopt(SOL_UDP, UDP_SEGMENT)} works here. */
    public static boolean gsoSupported() {
        return Probe.GSO;
    }

    /** Whether {@code setsockopt(SOL_UDP, UDP_GRO)} works here. */
    public static boolean groSupported() {
        return Probe.GRO;
    }

    /** One line for the start-up log. */
    public static String describe() {
        return "UDP offloads: GSO (UDP_SEGMENT) " + (gsoSupported() ? "supported" : "not supported")
                + ", GRO (UDP_GRO) " + (groSupported() ? "supported" : "not supported");
    }

    /** Logs {@link #describe()} the first time a native transport opens in this process. */
    static void logOnce() {
        if (LOGGED.compareAndSet(false, true)) {
            LOG.info(describe());
        }
    }

    /** The probe, run when first asked (class initialisation is once and thread-safe). */
    private static final class Probe {
        static final boolean GSO;
        static final boolean GRO;

        static {
            boolean gso = false;
            boolean gro = false;
            if (LinuxDatagramTransport.isSupported()) {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment cs = Libc.newCallState(arena);
                    int fd = Libc.socket(cs, Libc.AF_INET, Libc.SOCK_DGRAM | SOCK_CLOEXEC, 0);
                    if (fd >= 0) {
                        try {
                            gso = accepts(arena, cs, fd, UDP_SEGMENT, 0);
                            gro = accepts(arena, cs, fd, UDP_GRO, 1);
                        } finally {
                            Libc.close(fd);
                        }
                    }
                } catch (Throwable t) {
                    gso = false;
                    gro = false;
                }
            }
            GSO = gso;
            GRO = gro;
        }

        private static boolean accepts(Arena arena, MemorySegment cs, int fd, int option, int value) throws Throwable {
            MemorySegment v = arena.allocate(ValueLayout.JAVA_INT);
            v.set(ValueLayout.JAVA_INT, 0, value);
            return (int) SETSOCKOPT.invokeExact(cs, fd, SOL_UDP, option, v, 4) == 0;
        }
    }
}
