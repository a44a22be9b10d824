package io.astaire.dataplane.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.astaire.dataplane.transport.TransportOptions.Offload;
import io.astaire.dataplane.node.SfNode;
import io.astaire.dataplane.resolve.HopResolver;
import io.astaire.dataplane.resolve.NameLookup;
import io.astaire.dataplane.testing.Cmd;
import io.astaire.dataplane.testing.FixedTopologySource;
import io.astaire.dataplane.testing.NetNs;
import io.astaire.dataplane.testing.Packets;
import io.astaire.dataplane.tun.TunDevice;
import io.astaire.dataplane.tun.TunOffloads;
import io.astaire.model.ChainSpec;
import io.astaire.model.TopologyCodec;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Real TCP through a real chain, with TUN offloads on and off: a client namespace holds the
 * ingress and its TUN device, a server namespace an ACL function node and the egress with
 * its TUN device, a veth pair is the underlay. Several MB go each way over one connection (the
 * server echoes), and must arrive byte for byte. With offloads the counters must show TCP
 * super-packets read from the TUN devices and segments glued back together before the other TUN
 * device (the path is vectorized); without, none. A capture on the underlay must decode every
 * datagram as exactly one VXLAN-GPE + NSH packet with the expected SI and TTL whose inner packet
 * fits the TUN MTU: super-packets never leak onto the wire. The ACL sees every segment as its own
 * packet and still denies what its rule says.
 */
@Timeout(180)
class EdgeOffloadTest {
    private static final int BYTES_EACH_WAY = 6 * 1024 * 1024 + 4321;
    private static final int TUN_MTU = 1440;
    private static final int SF_PORT = 4791;
    private static final int EDGE_PORT = 4790;
    private static final int SERVER_PORT = 8080;
    /** The function node's ACL denies TCP to this port. */
    private static final int DENIED_PORT = 8023;
    private static final int WEB = 10;
    private static final String TOPOLOGY = """
            functions:
              - name: f1
                kind: acl
                address: 10.99.0.2:%d
                config: {default: allow, rules: [{action: deny, protocol: tcp, destinationPorts: %d}]}
            chains:
              - {name: web, spi: %d, functions: [f1]}
            rules:
              - {name: tcp-servers, priority: 10, protocol: tcp, destination: 10.2.0.0/24, chain: web}
              - {name: tcp6-servers, priority: 11, protocol: tcp, destination: "fd00:2::/64", chain: web}
            ingress: {address: 10.99.0.1:%d}
            egress: {address: 10.99.0.2:%d}
            """.formatted(SF_PORT, DENIED_PORT, WEB, EDGE_PORT, EDGE_PORT);

    private NetNs client;
    private NetNs server;
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void namespaces() {
        String reason = NetNs.unavailableReason();
        assumeTrue(reason == null, () -> "offload test skipped: " + reason);
        assumeTrue(TunDevice.available(), "offload test skipped: /dev/net/tun is missing or not writable");
        assumeTrue(Cmd.has("tcpdump") && Cmd.has("tshark"), "offload test skipped: needs tcpdump and tshark (see .ci/install-test-tools)");
        client = NetNs.create("asoffc");
        server = NetNs.create("asoffs");
        Cmd.ok("ip", "link", "add", "vc", "netns", client.name(), "type", "veth", "peer", "name", "vs", "netns", server.name());
        client.exec("ip", "addr", "add", "10.99.0.1/24", "dev", "vc");
        client.exec("ip", "link", "set", "vc", "up");
        server.exec("ip", "addr", "add", "10.99.0.2/24", "dev", "vs");
        server.exec("ip", "link", "set", "vs", "up");
        if (Cmd.has("ethtool")) {
            // Should a transport send UDP GSO trains, the veth cuts them before the capture sees them.
            client.execResult(10, "ethtool", "-K", "vc", "tx-udp-segmentation", "off");
            server.execResult(10, "ethtool", "-K", "vs", "tx-udp-segmentation", "off");
        }
    }

    @AfterEach
    void cleanup() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @ParameterizedTest(name = "offload {0}, TCP over IPv{1}")
    @CsvSource({"AUTO, 4", "OFF, 4", "AUTO, 6"})
    void tcpCrossesTheChainByteForByteAndTheUnderlayCarriesOnlyOrdinaryNshPackets(Offload mode, int ipVersion, @TempDir Path dir)
            throws Exception {
        String serverAddress = ipVersion == 4 ? "10.2.0.1" : "fd00:2::1";
        FixedTopologySource topology = new FixedTopologySource(TopologyCodec.parse(TOPOLOGY));
        SfNode acl = server.call(() -> SfNode.builder().topology(topology, List.of("f1")).listen(new InetSocketAddress("10.99.0.2", SF_PORT))
                .resolver(literalResolver()).workers(1).start());
        open.add(acl);
        EdgeNode egress = startEdge(server, EdgeRole.EGRESS, "tout0", "10.99.0.2", 2, 1, mode, topology);
        EdgeNode ingress = startEdge(client, EdgeRole.INGRESS, "tin0", "10.99.0.1", 1, 2, mode, topology);
        assertThat(ingress.tunMtu()).isEqualTo(TUN_MTU);
        if (mode == Offload.AUTO) {
            assertThat(ingress.offloads().has(TunOffloads.Feature.TSO4)).isTrue();
            assertThat(egress.offloads().has(TunOffloads.Feature.TSO4)).isTrue();
        } else {
            assertThat(ingress.offloads()).isEqualTo(TunOffloads.NONE);
            assertThat(egress.offloads()).isEqualTo(TunOffloads.NONE);
        }
        ServerSocket listener = server.call(() -> new ServerSocket(SERVER_PORT, 1, Packets.ip(serverAddress)));
        open.add(listener);
        CompletableFuture<byte[]> serverSaw = echoOnce(listener);

        Path pcap = dir.resolve("underlay.pcap");
        Capture capture = Capture.start(client, "vc", pcap, dir.resolve("tcpdump.out"));
        Transfer transfer = client.call(() -> Transfer.run(new InetSocketAddress(serverAddress, SERVER_PORT), BYTES_EACH_WAY));
        assertThat(serverSaw.get(60, TimeUnit.SECONDS)).as("what the server received").isEqualTo(transfer.sentSha256());
        assertThat(transfer.receivedSha256()).as("what came back to the client").isEqualTo(transfer.sentSha256());
        assertThat(transfer.received()).isEqualTo(BYTES_EACH_WAY);

        // Everything in flight has landed once the edges' counters stop moving.
        settle(ingress, egress);
        EdgeStats in = ingress.stats();
        EdgeStats out = egress.stats();
        // tcpdump reads its ring buffer behind the traffic: give it time to write out every datagram the ingress moved.
        capture.awaitRecords(in.sent() + in.received(), Duration.ofSeconds(30));
        long dropped = capture.stop();
        System.out.printf("offload %s: ingress %s%n         egress %s%n", mode.label(), in.asMap(), out.asMap());
        if (mode == Offload.AUTO) {
            assertThat(in.tunReadGso()).as("TSO super-packets the ingress read from the client").isPositive();
            assertThat(out.tunReadGso()).as("TSO super-packets the egress read from the server").isPositive();
            assertThat(in.tunSegments()).isGreaterThan(in.tunRead());
            assertThat(out.tunCoalescedSegments()).as("segments the egress glued for the server").isPositive();
            assertThat(in.tunCoalescedSegments()).as("segments the ingress glued for the client").isPositive();
            assertThat(out.tunWriteGso()).isPositive();
            assertThat(in.tunWriteGso()).isPositive();
        } else {
            assertThat(in.tunReadGso() + out.tunReadGso() + in.tunSegments() + out.tunSegments()).isZero();
            assertThat(in.tunWriteGso() + out.tunWriteGso() + in.tunCoalescedSegments() + out.tunCoalescedSegments()).isZero();
        }

        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new EdgeMetrics(registry, ingress).refresh();
        String scrape = registry.scrape();
        assertThat(scrape).contains("astaire_tun_offload{feature=\"tso4\",role=\"ingress\"} " + (mode == Offload.AUTO ? "1.0" : "0.0"))
                .contains("astaire_edge_dropped_packets_total{reason=\"vnet_gso_size_invalid\",role=\"ingress\"} 0.0")
                .contains("astaire_edge_tun_read_gso_total{role=\"ingress\"} " + (double) in.tunReadGso())
                .contains("astaire_edge_tun_coalesced_segments_total{role=\"ingress\"} " + (double) in.tunCoalescedSegments());

        Underlay seen = Underlay.decode(pcap, TUN_MTU);
        assertThat(seen.problems()).as("datagrams that are not exactly one NSH packet as expected").isEmpty();
        assertThat(seen.forward()).as("datagrams ingress -> f1").isPositive();
        assertThat(seen.reverse()).as("datagrams f1 -> ingress").isPositive();
        if (dropped == 0) {
            assertThat(seen.forward()).as("every datagram the ingress sent was captured and decoded").isEqualTo(in.sent());
            assertThat(seen.reverse()).as("every datagram the ingress received was captured and decoded").isEqualTo(in.received());
        }

        // The function saw ordinary packets: one call per segment (many per super-packet), every
        // datagram the node received went through the ACL, and the ACL still decides per packet.
        String node = acl.scrape();
        double aclCalls = metric(node, "astaire_sf_function_packets_total{function=\"f1\"");
        assertThat(aclCalls).as("ACL calls").isEqualTo(metric(node, "astaire_sf_datagrams_received_total"));
        assertThat(metric(node, "astaire_sf_function_dropped_packets_total{function=\"f1\"")).as("ACL drops of the allowed transfer").isZero();
        if (mode == Offload.AUTO) {
            assertThat(aclCalls).as("ACL calls against super-packets read").isGreaterThan(4.0 * (in.tunReadGso() + out.tunReadGso()));
        }
        // Last: the denied SYNs below move the ingress's counters the capture was compared with.
        assertThat(client.call(() -> connects(new InetSocketAddress(serverAddress, DENIED_PORT)))).as("a connection the ACL denies").isFalse();
        assertThat(metric(acl.scrape(), "astaire_sf_function_dropped_packets_total{function=\"f1\"")).as("SYNs the ACL dropped").isPositive();
    }

    /**
     * An edge in {@code ns} listening on {@code underlay}, its TUN device at 10.N.0.1/24 and
     * fd00:N::1/64 for N = {@code site}, the other site's networks routed into it.
     */
    private EdgeNode startEdge(NetNs ns, EdgeRole role, String tunName, String underlay, int site, int otherSite,
                               Offload mode, FixedTopologySource topology) throws Exception {
        return ns.call(() -> {
            EdgeNode node = EdgeNode.start(EdgeConfig.defaults(role, tunName)
                    .withListen(new InetSocketAddress(underlay, EDGE_PORT)).withUnderlayMtu(1500).withOffload(mode)
                    .withTunAddresses(List.of(new TunDevice.InterfaceAddress(Packets.ip("10." + site + ".0.1"), 24))),
                    topology, literalResolver());
            open.add(node);
            // nodad: a tentative address could neither be bound nor chosen as a source yet.
            ns.exec("ip", "-6", "addr", "add", "fd00:" + site + "::1/64", "dev", tunName, "nodad");
            ns.exec("ip", "route", "add", "10." + otherSite + ".0.0/24", "dev", tunName);
            ns.exec("ip", "-6", "route", "add", "fd00:" + otherSite + "::/64", "dev", tunName);
            return node;
        });
    }

    /** The value of the first sample whose line starts with {@code series} (name and leading labels). */
    private static double metric(String text, String series) {
        for (String line : text.split("\n")) {
            if (line.startsWith(series) && (line.charAt(series.length()) == ' ' || line.charAt(series.length()) == ',' || line.charAt(series.length()) == '{')) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no " + series + " in\n" + text);
    }

    /** Whether a TCP connection comes up within 2 s (the ACL drops the SYN otherwise). */
    private static boolean connects(InetSocketAddress address) {
        try (Socket s = new Socket()) {
            s.connect(address, 2_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static HopResolver literalResolver() {
        NameLookup none = host -> CompletableFuture.failedFuture(new IllegalStateException("no DNS in this test: " + host));
        return new HopResolver(none, HopResolver.Options.defaults());
    }

    /** Accepts one connection, sends back everything it reads, and completes with the SHA-256 of it. */
    private static CompletableFuture<byte[]> echoOnce(ServerSocket listener) {
        CompletableFuture<byte[]> digest = new CompletableFuture<>();
        Thread.ofPlatform().name("echo").daemon().start(() -> {
            try (Socket s = listener.accept()) {
                s.setSoTimeout(60_000);
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                byte[] buf = new byte[64 * 1024];
                for (int n; (n = in.read(buf)) > 0; ) {
                    sha.update(buf, 0, n);
                    out.write(buf, 0, n);
                }
                s.shutdownOutput();
                digest.complete(sha.digest());
            } catch (Exception e) {
                digest.completeExceptionally(e);
            }
        });
        return digest;
    }

    private static void settle(EdgeNode ingress, EdgeNode egress) {
        long[] last = {-1};
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300)).until(() -> {
            long now = ingress.stats().received() + ingress.stats().sent() + egress.stats().received() + egress.stats().sent();
            boolean still = now == last[0];
            last[0] = now;
            return still;
        });
    }

    /** One connection: writes seeded random bytes while reading what comes back, digesting both. */
    record Transfer(byte[] sentSha256, byte[] receivedSha256, long received) {
        static Transfer run(InetSocketAddress server, int bytes) throws Exception {
            try (Socket s = new Socket()) {
                s.connect(server, 10_000);
                s.setSoTimeout(60_000);
                CompletableFuture<byte[]> sent = new CompletableFuture<>();
                Thread writer = Thread.ofPlatform().name("client-writer").daemon().start(() -> {
                    try {
                        MessageDigest sha = MessageDigest.getInstance("SHA-256");
                        Random random = new Random(42);
                        byte[] chunk = new byte[64 * 1024];
                        OutputStream out = s.getOutputStream();
                        for (int left = bytes; left > 0; ) {
                            int n = Math.min(left, chunk.length);
                            random.nextBytes(chunk);
                            out.write(chunk, 0, n);
                            sha.update(chunk, 0, n);
                            left -= n;
                        }
                        s.shutdownOutput();
                        sent.complete(sha.digest());
                    } catch (Exception e) {
                        sent.completeExceptionally(e);
                    }
                });
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                InputStream in = s.getInputStream();
                byte[] buf = new byte[64 * 1024];
                long total = 0;
                for (int n; (n = in.read(buf)) > 0; ) {
                    sha.update(buf, 0, n);
                    total += n;
                }
                writer.join(10_000);
                return new Transfer(sent.get(10, TimeUnit.SECONDS), sha.digest(), total);
            }
        }
    }

    /** tcpdump on one interface of a namespace, writing UDP to a pcap (headers only). */
    record Capture(Process process, Path pcap, Path output) {
        static Capture start(NetNs ns, String device, Path pcap, Path output) throws Exception {
            Process p = new ProcessBuilder("ip", "netns", "exec", ns.name(), "tcpdump", "-i", device, "-n", "-U", "-s", "256",
                    "-B", "16384", "-w", pcap.toString(), "udp").redirectErrorStream(true).redirectOutput(output.toFile()).start();
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!Files.readString(output).contains("listening on")) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    throw new IllegalStateException("tcpdump did not start: " + Files.readString(output));
                }
                Thread.sleep(50);
            }
            return new Capture(p, pcap, output);
        }

        /** Waits until the pcap holds {@code expected} packets or {@code timeout} passed, whichever comes first. */
        void awaitRecords(long expected, Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (records() < expected && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
        }

        /** Packets in the pcap so far (tcpdump -U writes whole records). */
        private long records() throws IOException {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(Files.readAllBytes(pcap));
            if (b.remaining() < 24) {
                return 0;
            }
            b.order(b.getInt(0) == 0xa1b2c3d4 ? java.nio.ByteOrder.BIG_ENDIAN : java.nio.ByteOrder.LITTLE_ENDIAN);
            long n = 0;
            for (int at = 24; at + 16 <= b.limit(); at += 16 + b.getInt(at + 8)) {
                if (at + 16 + b.getInt(at + 8) > b.limit()) {
                    break;
                }
                n++;
            }
            return n;
        }

        /** Stops the capture; returns how many packets the kernel dropped before tcpdump saw them. */
        long stop() throws Exception {
            process.destroy();
            assertThat(process.waitFor(20, TimeUnit.SECONDS)).as("tcpdump stopped").isTrue();
            String text = Files.readString(output);
            for (String line : text.split("\n")) {
                if (line.contains("dropped by kernel")) {
                    return Long.parseLong(line.trim().split("\\s+")[0]);
                }
            }
            throw new IllegalStateException("tcpdump printed no statistics: " + text);
        }
    }

    /**
     * What tshark makes of the capture: datagrams to the function (forward: SPI 10, SI 255, TTL 63)
     * and from it to the ingress (reverse: SI 254, TTL 62, one hop later), and every datagram
     * that is not exactly one NSH packet of the two, described.
     */
    record Underlay(long forward, long reverse, List<String> problems) {
        static Underlay decode(Path pcap, int tunMtu) {
            Cmd.Result r = Cmd.run(120, List.of("tshark", "-r", pcap.toString(), "-n", "-d", "udp.port==" + SF_PORT + ",vxlan_gpe",
                    "-Y", "udp && !icmp", "-T", "fields", "-E", "separator=;", "-e", "udp.dstport", "-e", "udp.length",
                    "-e", "vxlan.next_proto", "-e", "nsh.spi", "-e", "nsh.si", "-e", "nsh.ttl", "-e", "ip.len",
                    "-e", "ipv6.plen"));
            assertThat(r.exit()).as(r.output()).isZero();
            long forward = 0;
            long reverse = 0;
            List<String> problems = new ArrayList<>();
            for (String line : r.output().strip().split("\n")) {
                if (line.isBlank() || line.startsWith("Running as")) {
                    continue;
                }
                String[] f = line.split(";", -1);
                String problem = check(f, tunMtu);
                if (problem != null) {
                    problems.add(problem + ": " + line);
                } else if (Integer.parseInt(f[0]) == SF_PORT) {
                    forward++;
                } else {
                    reverse++;
                }
            }
            return new Underlay(forward, reverse, problems.subList(0, Math.min(problems.size(), 20)));
        }

        private static String check(String[] f, int tunMtu) {
            if (f.length < 8 || f[3].isBlank()) {
                return "not decoded as NSH";
            }
            String[] ipLengths = f[6].split(",");
            boolean innerIpv4 = ipLengths.length == 2 && f[7].isBlank();
            boolean innerIpv6 = ipLengths.length == 1 && !f[7].isBlank() && !f[7].contains(",");
            if (!f[2].equals("4") || !(innerIpv4 || innerIpv6)) {
                return "not one NSH packet with one inner IP packet";
            }
            int inner = innerIpv4 ? Integer.parseInt(ipLengths[1]) : 40 + Integer.parseInt(f[7]);
            if (Integer.parseInt(f[1]) != 8 + 8 + 24 + inner) {
                return "the UDP datagram holds more than the NSH packet";
            }
            if (inner > tunMtu) {
                return "inner packet larger than the TUN MTU";
            }
            boolean toFunction = Integer.parseInt(f[0]) == SF_PORT;
            String expected = toFunction ? WEB + ";255;63" : ChainSpec.reverseSpi(WEB) + ";254;62";
            String got = Integer.decode(f[3]) + ";" + Integer.decode(f[4]) + ";" + Integer.decode(f[5]); // tshark shows the TTL in hex
            return got.equals(expected) ? null : "SPI;SI;TTL " + got + ", expected " + expected;
        }
    }

}
