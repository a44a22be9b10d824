package io.astaire.dataplane.oam;

/**
 * The flow a trace probe stands for: the inner packet's protocol (a name the rules use, or a
 * number), addresses and, for TCP and UDP, ports (null otherwise).
 */
public record TraceFlow(String protocol, String source, Integer sourcePort, String destination, Integer destinationPort) {

    @Override
    public String toString() {
        return protocol + " " + endpoint(source, sourcePort) + " -> " + endpoint(destination, destinationPort);
    }

    private static String endpoint(String address, Integer port) {
        if (port == null) {
            return address;
        }
        return address.indexOf(':') >= 0 ? "[" + address + "]:" + port : address + ":" + port;
    }
}
