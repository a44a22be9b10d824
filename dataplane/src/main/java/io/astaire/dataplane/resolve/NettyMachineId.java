package io.astaire.dataplane.resolve;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Gives Netty a machine id ({@code io.netty.machineId}) before its first channel, so it does not
 * look for a hardware address. In a network namespace or a pod there is often none (only
 * loopback and veths), and Netty then logs a WARN on every start ("Failed to find a usable
 * hardware address ...; using random bytes") and uses random bytes anyway. Netty uses the id
 * only to make its channel ids unique; the resolver's few channels need nothing more than the
 * same random bytes, without the warning. An id set by the operator ({@code -Dio.netty.machineId})
 * is kept.
 */
final class NettyMachineId {
    static final String PROPERTY = "io.netty.machineId";

    private NettyMachineId() {}

    static void ensureSet() {
        if (System.getProperty(PROPERTY) == null) {
            byte[] id = new byte[8];
            new SecureRandom().nextBytes(id);
            System.setProperty(PROPERTY, HexFormat.ofDelimiter(":").formatHex(id));
        }
    }
}
