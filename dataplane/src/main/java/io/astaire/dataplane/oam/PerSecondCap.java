package io.astaire.dataplane.oam;

/**
 * At most N events a second, for one thread (a worker's OAM answers and trace reports): a window
 * that restarts each second, two fields and no allocation. Coarse on purpose: it bounds what a
 * flood costs and can be reflected, it does not shape.
 */
final class PerSecondCap {

    private static final long SECOND = 1_000_000_000L;

    private final int perSecond;
    private long windowStart = System.nanoTime();
    private int inWindow;

    PerSecondCap(int perSecond) {
        this.perSecond = perSecond;
    }

    /** Counts one event; false when it is over this second's cap. */
    boolean tryAcquire() {
        long now = System.nanoTime();
        if (now - windowStart >= SECOND) {
            windowStart = now;
            inWindow = 0;
        }
        return ++inWindow <= perSecond;
    }
}
