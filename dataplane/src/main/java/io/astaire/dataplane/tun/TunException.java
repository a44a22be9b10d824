package io.astaire.dataplane.tun;

/**
 * A TUN device could not be opened or configured. The message says what to do about it (run as
 * root or with CAP_NET_ADMIN, load the tun module, mount /dev/net/tun into the container, ...).
 */
public final class TunException extends RuntimeException {
    private final int errno;

    public TunException(String message, int errno) {
        super(message);
        this.errno = errno;
    }

    /** The libc errno behind the failure, or 0 when none. */
    public int errno() {
        return errno;
    }
}
