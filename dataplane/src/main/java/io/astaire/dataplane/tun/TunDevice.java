package io.astaire.dataplane.tun;

import io.astaire.dataplane.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A layer-3 TUN device opened from Java through the FFM API: {@code open("/dev/net/tun")} and
 * {@code ioctl(TUNSETIFF)} with {@code IFF_TUN | IFF_NO_PI}, so each read returns one bare IPv4
 * or IPv6 packet and each write injects one. The device is created when no interface of that
 * name exists, or attached to when a persistent one does ({@code ip tuntap add}); a created device
 * disappears when the last queue closes.
 *
 * <p>With more than one queue the device is opened with {@code IFF_MULTI_QUEUE}, one descriptor
 * per queue, so each reading worker has its own. The device is opened in the network namespace
 * of the calling thread.
 *
 * <p>Opened with offloads, the device adds a virtio_net_hdr in front of every packet
 * ({@code IFF_VNET_HDR}) and takes the offloads the kernel has ({@code TUNSETOFFLOAD}): the kernel
 * then hands over TCP super-packets of up to 64 KB with partial checksums and accepts them back,
 * so a whole TSO/GRO train costs one read or one write. {@link #offloads()} says what was accepted.
 */
public final class TunDevice implements AutoCloseable {
    static final long TUNSETIFF = 0x400454caL;
    static final short IFF_TUN = 0x0001;
    static final short IFF_NO_PI = 0x1000;
    static final short IFF_MULTI_QUEUE = 0x0100;
    static final short IFF_VNET_HDR = 0x4000;
    static final long TUNSETOFFLOAD = 0x400454d0L;
    static final long TUNSETVNETHDRSZ = 0x400454d8L;
    /** sizeof(struct virtio_net_hdr): no mergeable buffers, no hash report. */
    public static final int VNET_HEADER_LENGTH = 10;
    /** What we ask for, then fall back from when the kernel refuses (EINVAL): USO came in Linux 6.2. */
    static final int[] OFFLOAD_LADDER = {
        TunOffloads.TUN_F_CSUM | TunOffloads.TUN_F_TSO4 | TunOffloads.TUN_F_TSO6 | TunOffloads.TUN_F_USO4 | TunOffloads.TUN_F_USO6,
        TunOffloads.TUN_F_CSUM | TunOffloads.TUN_F_TSO4 | TunOffloads.TUN_F_TSO6,
        TunOffloads.TUN_F_CSUM,
    };
    static final String CLONE_DEVICE = "/dev/net/tun";

    private final String name;
    private final List<TunQueue> queues;
    private final TunOffloads offloads;

    private TunDevice(String name, int queueCount, int[] fds, TunOffloads offloads) {
        this.name = name;
        this.offloads = offloads;
        List<TunQueue> qs = new ArrayList<>(queueCount);
        for (int i = 0; i < queueCount; i++) {
            qs.add(new TunQueue(this, i, fds[i]));
        }
        this.queues = List.copyOf(qs);
    }

    /** Opens (creates or attaches to) device {@code name} with {@code queueCount} queues, plain packets; the device stays down. */
    public static TunDevice open(String name, int queueCount) {
        return open(name, queueCount, false);
    }

    /**
     * Opens (creates or attaches to) device {@code name} with {@code queueCount} queues; the device
     * stays down. With {@code offload}, every queue gets a virtio_net_hdr and the offloads the
     * kernel accepts (see {@link #offloads()}).
     */
    public static TunDevice open(String name, int queueCount, boolean offload) {
        if (queueCount < 1) {
            throw new IllegalArgumentException("a TUN device needs at least one queue, asked for " + queueCount);
        }
        InterfaceControl.ifreq(Arena.global(), name); // validates the name before touching the device
        int[] fds = new int[queueCount];
        int opened = 0;
        String actualName = name;
        TunOffloads offloads = TunOffloads.NONE;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(arena);
            MemorySegment path = arena.allocateFrom(CLONE_DEVICE);
            short flags = (short) (IFF_TUN | IFF_NO_PI | (queueCount > 1 ? IFF_MULTI_QUEUE : 0) | (offload ? IFF_VNET_HDR : 0));
            for (; opened < queueCount; opened++) {
                int fd = TunLibc.open(state, path, TunLibc.O_RDWR | TunLibc.O_NONBLOCK | TunLibc.O_CLOEXEC);
                if (fd < 0) {
                    int errno = Libc.errno(state);
                    throw new TunException(openProblem(errno), errno);
                }
                fds[opened] = fd;
                MemorySegment ifr = InterfaceControl.ifreq(arena, name);
                ifr.set(ValueLayout.JAVA_SHORT, 16, flags);
                if (TunLibc.ioctl(state, fd, TUNSETIFF, ifr) < 0) {
                    int errno = Libc.errno(state);
                    Libc.close(fd);
                    throw new TunException(setIffProblem(name, errno, queueCount), errno);
                }
                actualName = ifr.getString(0, StandardCharsets.US_ASCII);
                if (offload) {
                    // Every further queue asks for exactly what the first one got.
                    int[] ladder = opened == 0 ? OFFLOAD_LADDER : new int[] {offloads.flags()};
                    TunOffloads got = configureOffloads(arena, state, fd, actualName, ladder);
                    if (opened == 0) {
                        offloads = got;
                    }
                }
            }
        } catch (RuntimeException e) {
            for (int i = 0; i < opened; i++) {
                Libc.close(fds[i]);
            }
            throw e;
        }
        return new TunDevice(actualName, queueCount, fds, offloads);
    }

    /**
     * Sets the virtio_net_hdr size and the first offload set of {@code ladder} the kernel accepts
     * on queue descriptor {@code fd}; with none accepted the header stays, carrying no offloads.
     */
    private static TunOffloads configureOffloads(Arena arena, MemorySegment state, int fd, String name, int[] ladder) {
        MemorySegment size = arena.allocate(ValueLayout.JAVA_INT);
        size.set(ValueLayout.JAVA_INT, 0, VNET_HEADER_LENGTH);
        if (TunLibc.ioctl(state, fd, TUNSETVNETHDRSZ, size) < 0) {
            int errno = Libc.errno(state);
            Libc.close(fd);
            throw new TunException("cannot set the virtio_net_hdr size of TUN device " + name + ": " + Libc.strerror(errno)
                    + " (start with offloads off)", errno);
        }
        for (int flags : ladder) {
            if (TunLibc.ioctlValue(state, fd, TUNSETOFFLOAD, flags) == 0) {
                return new TunOffloads(true, flags);
            }
        }
        return new TunOffloads(true, 0);
    }

    /**
     * Opens device {@code name} and makes it usable: {@code queueCount} queues, MTU {@code mtu},
     * the given addresses (may be empty), and the link up.
     */
    public static TunDevice openConfigured(String name, int queueCount, int mtu, List<InterfaceAddress> addresses) {
        return openConfigured(name, queueCount, mtu, addresses, false);
    }

    /** Like {@link #openConfigured(String, int, int, List)}, with offloads when {@code offload} (see {@link #open(String, int, boolean)}). */
    public static TunDevice openConfigured(String name, int queueCount, int mtu, List<InterfaceAddress> addresses, boolean offload) {
        TunDevice device = open(name, queueCount, offload);
        try {
            device.mtu(mtu);
            for (InterfaceAddress a : addresses) {
                device.addAddress(a.address(), a.prefixLength());
            }
            device.up();
            return device;
        } catch (RuntimeException e) {
            device.close();
            throw e;
        }
    }

    /** An address to assign to the device. */
    public record InterfaceAddress(InetAddress address, int prefixLength) {}

    private static String openProblem(int errno) {
        String why = Libc.strerror(errno);
        return switch (errno) {
            case Libc.ENOENT -> "cannot open " + CLONE_DEVICE + ": " + why
                    + " (load the tun module with 'modprobe tun'; in a container mount the host's /dev/net/tun)";
            case Libc.EACCES, Libc.EPERM -> "cannot open " + CLONE_DEVICE + ": " + why
                    + " (run as root or grant CAP_NET_ADMIN; in Kubernetes add NET_ADMIN to the securityContext)";
            case Libc.ENODEV, Libc.ENXIO -> "cannot open " + CLONE_DEVICE + ": " + why + " (the kernel has no TUN support: modprobe tun)";
            default -> "cannot open " + CLONE_DEVICE + ": " + why;
        };
    }

    private static String setIffProblem(String name, int errno, int queues) {
        String why = Libc.strerror(errno);
        return switch (errno) {
            case Libc.EPERM, Libc.EACCES -> "cannot create TUN device " + name + ": " + why
                    + " (needs root or the CAP_NET_ADMIN capability; in Kubernetes add NET_ADMIN to the container's securityContext)";
            case Libc.EBUSY -> "cannot attach to TUN device " + name + ": " + why
                    + " (another process holds it; a single-queue device accepts one reader)";
            case Libc.EINVAL -> "cannot attach to device " + name + ": " + why
                    + " (an interface of that name exists but is not a TUN device"
                    + (queues > 1 ? " with multi-queue support: create it with 'ip tuntap add dev " + name + " mode tun multi_queue'" : " opened single-queue")
                    + ", or the name is taken)";
            default -> "cannot create TUN device " + name + ": " + why;
        };
    }

    /** True when this process can open TUN devices at all: the clone device exists and we can write it. */
    public static boolean available() {
        Path p = Path.of(CLONE_DEVICE);
        return Files.exists(p) && Files.isReadable(p) && Files.isWritable(p);
    }

    /** The device's name as the kernel reports it. */
    public String name() {
        return name;
    }

    /** Whether packets carry a virtio_net_hdr, and the offloads the kernel accepted. */
    public TunOffloads offloads() {
        return offloads;
    }

    /** True when every read and write starts with a {@value #VNET_HEADER_LENGTH}-byte virtio_net_hdr. */
    public boolean vnetHeader() {
        return offloads.vnetHeader();
    }

    public int queueCount() {
        return queues.size();
    }

    public TunQueue queue(int index) {
        return queues.get(index);
    }

    public List<TunQueue> queues() {
        return queues;
    }

    /** The device's MTU as the kernel reports it. */
    public int mtu() {
        return InterfaceControl.mtu(name);
    }

    public TunDevice mtu(int mtu) {
        if (mtu < 576 || mtu > 65535) {
            throw new IllegalArgumentException("TUN MTU " + mtu + " is outside 576-65535");
        }
        InterfaceControl.mtu(name, mtu);
        return this;
    }

    public TunDevice up() {
        InterfaceControl.up(name, true);
        return this;
    }

    public boolean isUp() {
        return InterfaceControl.isUp(name);
    }

    public TunDevice addAddress(InetAddress address, int prefixLength) {
        InterfaceControl.addAddress(name, address, prefixLength);
        return this;
    }

    /** Closes every queue; a device this process created then disappears. */
    @Override
    public void close() {
        for (TunQueue q : queues) {
            q.close();
        }
    }

    @Override
    public String toString() {
        return "TunDevice[" + name + ", queues=" + queues.size() + ", " + offloads.describe() + "]";
    }
}
