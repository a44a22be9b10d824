package io.astaire.dataplane.transport;

class NioDatagramTransportTest extends DatagramTransportSuite {
    @Override
    DatagramTransports.Kind kind() {
        return DatagramTransports.Kind.NIO;
    }
}
