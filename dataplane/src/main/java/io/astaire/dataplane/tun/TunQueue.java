package io.astaire.dataplane.tun;

import io.astaire.dataplane.sys.Libc;
/**
 * One file descriptor of a TUN device. A single-queue device has one; a multi-queue device has
 * one per reading worker, and the kernel spreads flows across them by hash.
 */
public final class TunQueue {
    private final TunDevice device;
    private final int index;
    private volatile int fd;

    TunQueue(TunDevice device, int index, int fd) {
        this.device = device;
        this.index = index;
        this.fd = fd;
    }

    /** A handle for one thread to read and write through this queue. */
    public TunIo newIo() {
        if (fd < 0) {
            throw new IllegalStateException("TUN queue " + index + " of " + device.name() + " is closed");
        }
        return new TunIo(this);
    }

    public int index() {
        return index;
    }

    public TunDevice device() {
        return device;
    }

    int fd() {
        return fd;
    }

    void close() {
        int f = fd;
        fd = -1;
        if (f >= 0) {
            Libc.close(f);
        }
    }
}
