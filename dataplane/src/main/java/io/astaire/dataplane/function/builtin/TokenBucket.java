package io.astaire.dataplane.function.builtin;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A lock-free token bucket in its GCRA form (the "virtual scheduling" of ITU-T I.371): the whole
 * state is one theoretical arrival time, advanced with a CAS by the cost of each conforming
 * packet. Equivalent to a bucket of {@code burst} tokens refilled at {@code rate} per second.
 */
final class TokenBucket {
    /** Nanoseconds of refill one token represents. */
    private final double nanosPerToken;
    /** How far the arrival time may run ahead of now: the bucket's depth in nanoseconds. */
    private final long toleranceNanos;
    private final AtomicLong theoreticalArrival = new AtomicLong(Long.MIN_VALUE / 2);

    TokenBucket(double nanosPerToken, long toleranceNanos) {
        this.nanosPerToken = nanosPerToken;
        this.toleranceNanos = toleranceNanos;
    }

    /** Takes {@code tokens} at time {@code now} if the bucket holds them; false (and nothing taken) if not. */
    boolean tryTake(long now, long tokens) {
        long cost = (long) (tokens * nanosPerToken);
        while (true) {
            long tat = theoreticalArrival.get();
            long next = Math.max(tat, now) + cost;
            if (next - now > toleranceNanos) {
                return false;
            }
            if (theoreticalArrival.compareAndSet(tat, next)) {
                return true;
            }
        }
    }

    /** True when the bucket is full at {@code now}: forgetting it would change nothing. */
    boolean isFull(long now) {
        return theoreticalArrival.get() <= now;
    }
}
