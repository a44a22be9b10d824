package io.astaire.dataplane.function.builtin;

import io.astaire.wire.FlowKey;
import java.util.Locale;

/** Flow keys as metric label values: {@code 10.0.0.1:40000>10.20.0.5:80/tcp}, {@code [2001:db8::1]:53>...}. */
final class FlowLabels {
    private FlowLabels() {}

    static String label(FlowKey flow) {
        StringBuilder sb = new StringBuilder(64);
        address(sb, flow, flow.sourceHigh(), flow.sourceLow());
        sb.append(':').append(flow.sourcePort()).append('>');
        address(sb, flow, flow.destinationHigh(), flow.destinationLow());
        sb.append(':').append(flow.destinationPort()).append('/').append(protocol(flow.protocol()));
        return sb.toString();
    }

    private static void address(StringBuilder sb, FlowKey flow, long high, long low) {
        if (flow.family() == 4) {
            sb.append(low >>> 24 & 0xff).append('.').append(low >>> 16 & 0xff).append('.')
                    .append(low >>> 8 & 0xff).append('.').append(low & 0xff);
            return;
        }
        byte[] bytes = new byte[16];
        for (int i = 0; i < 8; i++) {
            bytes[i] = (byte) (high >>> (56 - 8 * i));
            bytes[8 + i] = (byte) (low >>> (56 - 8 * i));
        }
        try {
            sb.append('[').append(java.net.InetAddress.getByAddress(bytes).getHostAddress()).append(']');
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e); // 16 bytes is always an address
        }
    }

    private static String protocol(int number) {
        return switch (number) {
            case 1 -> "icmp";
            case 6 -> "tcp";
            case 17 -> "udp";
            case 58 -> "icmpv6";
            default -> Integer.toString(number).toLowerCase(Locale.ROOT);
        };
    }
}
