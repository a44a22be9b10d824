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
        // RFC 5952 text: lower-case hex groups, the longest run (two or more) of zero groups as "::".
        int[] groups = new int[8];
        for (int i = 0; i < 4; i++) {
            groups[i] = (int) (high >>> (48 - 16 * i)) & 0xffff;
            groups[4 + i] = (int) (low >>> (48 - 16 * i)) & 0xffff;
        }
        int bestStart = -1, bestLength = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        sb.append('[');
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLength - 1;
                continue;
            }
            if (i > 0 && i != bestStart + bestLength) {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        sb.append(']');
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
