package io.astaire.dataplane.resolve;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Asks a name's addresses and how long they may be cached. Never called on the packet path. */
public interface NameLookup extends AutoCloseable {

    /** The addresses of {@code host} (possibly none) and the smallest TTL of the records. */
    record Answer(List<InetAddress> addresses, Duration ttl) {
        public Answer {
            addresses = List.copyOf(addresses);
        }
    }

    CompletableFuture<Answer> lookup(String host);

    @Override
    default void close() {}
}
