package io.astaire.dataplane.transport;

import java.util.Locale;

/** Opens the best {@link DatagramTransport} available, or the one asked for. */
public final class DatagramTransports {

    /** Which implementation. */
    public enum Kind {
        /** {@link LinuxDatagramTransport} where supported, else {@link NioDatagramTransport}. */
        AUTO,
        /** {@code recvmmsg}/{@code sendmmsg} through FFM; fails where unsupported. */
        NATIVE,
        /** {@link java.nio.channels.DatagramChannel}. */
        NIO;

        public static Kind parse(String text) {
            try {
                return valueOf(text.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("transport '" + text + "' is not one of auto, native, nio");
            }
        }
    }

    private static volatile Boolean nativeSupported;

    private DatagramTransports() {}

    public static DatagramTransport open(Kind kind, TransportOptions options) {
        return switch (kind) {
            case NIO -> NioDatagramTransport.open(options);
            case NATIVE -> {
                if (!nativeSupported()) {
                    throw new IllegalStateException("the native transport needs Linux on x86_64/aarch64 with FFM native access");
                }
                yield LinuxDatagramTransport.open(options);
            }
            case AUTO -> nativeSupported() ? LinuxDatagramTransport.open(options) : NioDatagramTransport.open(options);
        };
    }

    /** Probed once: whether {@link Kind#NATIVE} can be used here. */
    public static boolean nativeSupported() {
        Boolean s = nativeSupported;
        if (s == null) {
            boolean ok;
            try {
                ok = LinuxDatagramTransport.isSupported();
            } catch (Throwable t) {
                ok = false;
            }
            nativeSupported = s = ok;
        }
        return s;
    }

    /** The kind {@link Kind#AUTO} resolves to here. */
    public static Kind effective(Kind kind) {
        return kind == Kind.AUTO ? (nativeSupported() ? Kind.NATIVE : Kind.NIO) : kind;
    }
}
