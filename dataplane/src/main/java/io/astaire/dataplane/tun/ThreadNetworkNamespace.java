package io.astaire.dataplane.tun;

import io.astaire.dataplane.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Moves the calling thread (only it) into a named network namespace, as {@code ip netns exec}
 * does for a whole process: {@code setns(open("/var/run/netns/NAME"), CLONE_NEWNET)}. Devices,
 * sockets and routing-table reads made by that thread afterwards belong to the namespace. Meant
 * for a dedicated platform thread: a virtual thread may move between carriers.
 */
public final class ThreadNetworkNamespace {
    static final Path NETNS_DIR = Path.of("/var/run/netns");

    private ThreadNetworkNamespace() {}

    public static void enter(String name) {
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("enter a network namespace from a platform thread, not a virtual one");
        }
        Path file = NETNS_DIR.resolve(name);
        if (!Files.exists(file)) {
            throw new TunException("no network namespace " + name + " (" + file + " does not exist)", Libc.ENOENT);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(arena);
            int fd = TunLibc.open(state, arena.allocateFrom(file.toString()), TunLibc.O_RDONLY | TunLibc.O_CLOEXEC);
            if (fd < 0) {
                int errno = Libc.errno(state);
                throw new TunException("cannot open " + file + ": " + Libc.strerror(errno), errno);
            }
            try {
                if (TunLibc.setns(state, fd, TunLibc.CLONE_NEWNET) < 0) {
                    int errno = Libc.errno(state);
                    throw new TunException("cannot enter network namespace " + name + ": " + Libc.strerror(errno)
                            + InterfaceControl.hint(errno), errno);
                }
            } finally {
                Libc.close(fd);
            }
        }
    }
}
