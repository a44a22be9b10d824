package io.astaire.wire;

import static io.astaire.wire.Packets.ipv4;
import static org.assertj.core.api.Assertions.assertThat;

import io.astaire.wire.pcap.PcapReader;
import io.astaire.wire.pcap.PcapWriter;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interop with an independent decoder, both ways. Packets encoded by {@code wire} (inside outer
 * Ethernet/IPv4/UDP:4790 built here) are decoded by stock tshark, which must report the same
 * NSH fields, TLVs, inner addresses and ports, and call every checksum good. And RFC-shaped
 * vectors written by hand as hex are wrapped by text2pcap, confirmed by tshark, then read back
 * from the pcap and decoded by {@code wire}, which must agree with tshark.
 */
class TsharkInteropTest {

    private static final long TIMEOUT_SECONDS = 60;
    private static final HexFormat HEX = HexFormat.of();

    /** The tshark fields compared, in output order. */
    private static final List<String> FIELDS = List.of(
        "frame.number", "vxlan.next_proto", "vxlan.vni", "vxlan.p_bit",
        "nsh.version", "nsh.Obit", "nsh.ttl", "nsh.length", "nsh.mdtype", "nsh.nextproto", "nsh.spi", "nsh.si",
        "nsh.contextheader", "nsh.metadataclass", "nsh.metadatatype", "nsh.metadatalen", "nsh.metadata",
        "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "udp.srcport", "udp.dstport", "tcp.srcport", "tcp.dstport",
        "icmp.type", "icmpv6.type", "ip.checksum.status", "udp.checksum.status", "tcp.checksum.status",
        "icmp.checksum.status", "icmpv6.checksum.status", "_ws.malformed");

    private static Path tshark;

    @TempDir
    Path dir;

    @BeforeAll
    static void needsTshark() {
        tshark = ExternalTool.require("tshark");
    }

    record Tlv(int tlvClass, int type, byte[] value) {}

    /** One packet to encode: NSH fields, MD1 context or MD2 TLVs, and the inner packet kind. */
    record Case(int spi, int si, int ttl, boolean oBit, int vni, int[] context, Tlv[] tlvs, String inner) {
        boolean md2() {
            return tlvs != null;
        }
    }

    private static final long[] V6_A = {0x20010db8_0000_0001L, 0x0000_0000_0000_00aaL};
    private static final long[] V6_B = {0xfd00_0000_0000_0000L, 0x0000_0000_0000_0001L};

    private static List<Case> cases() {
        byte[] eight = HEX.parseHex("0102030405060708");
        return List.of(
            new Case(0, 0, 0, false, 0, new int[4], null, "v4udp"),
            new Case(0xFFFFFF, 255, 63, false, 0xFFFFFF, new int[] {1, -1, 0x12345678, 0}, null, "v4tcp"),
            new Case(0x800001, 128, 1, true, 1, new int[] {0, 0, 0, 7}, null, "v6udp"),
            new Case(1, 254, 62, false, 5000, null, new Tlv[0], "v4icmp"),
            new Case(0x123456, 1, 32, false, 0, null,
                new Tlv[] {new Tlv(0x0101, 0x05, HEX.parseHex("aabbccddee"))}, "v6tcp"),
            new Case(42, 200, 10, false, 7, null, new Tlv[] {
                new Tlv(0x0000, 0x01, Arrays.copyOf(eight, 4)),
                new Tlv(0xFFFF, 0xFF, Arrays.copyOf(eight, 1)),
                new Tlv(0x0106, 0x80, new byte[0]),
                new Tlv(0x8000, 0x7F, Arrays.copyOf(eight, 7)),
                new Tlv(0x0002, 0x02, new byte[16])}, "v4udp"),
            new Case(7, 7, 7, false, 0, new int[4], null, "v6ext"),
            new Case(99, 99, 33, false, 0, null, new Tlv[] {new Tlv(3, 3, new byte[127])}, "v6icmp"));
    }

    /** Builds the inner packet at {@code offset}; returns its length. */
    private static int inner(ByteBuffer buf, int offset, String kind, int n) {
        int a = ipv4(10, 0, n, 1);
        int b = ipv4(172, 16, n, 2);
        return switch (kind) {
            case "v4udp" -> Packets.ipv4Udp(buf, offset, a, b, 1000 + n, 53000 + n, 3 * n);
            case "v4tcp" -> Packets.ipv4Tcp(buf, offset, a, b, 40000 + n, 443, 12, 5 + n);
            case "v4icmp" -> Packets.ipv4IcmpEcho(buf, offset, a, b, 0x4242, n, 56);
            case "v6udp" -> Packets.ipv6Udp(buf, offset, V6_A, V6_B, 2000 + n, 4000 + n, n, 17, new byte[0]);
            case "v6tcp" -> Packets.ipv6Tcp(buf, offset, V6_A, V6_B, 50000 + n, 22, 9);
            case "v6icmp" -> Packets.ipv6IcmpEcho(buf, offset, V6_A, V6_B, 9, n);
            case "v6ext" -> Packets.ipv6Udp(buf, offset, V6_A, V6_B, 3000 + n, 5000 + n, 4, 0,
                InnerPacketTest.extensionChain());
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /** Encodes one case with wire into a whole Ethernet frame; returns {start, length} of the frame. */
    private static int[] encode(ByteBuffer buf, Case c, int n) {
        int innerOffset = 1024;
        int innerLength = inner(buf, innerOffset, c.inner(), n);
        int next = c.inner().startsWith("v4") ? NshHeader.NEXT_PROTOCOL_IPV4 : NshHeader.NEXT_PROTOCOL_IPV6;
        int start;
        if (c.md2()) {
            ByteBuffer tlvs = ByteBuffer.allocate(256);
            NshHeader builder = new NshHeader().wrap(tlvs, 0).writeMd2(0, 0, 0, 0);
            for (Tlv tlv : c.tlvs()) {
                builder.appendTlv(tlv.tlvClass(), tlv.type(), ByteBuffer.wrap(tlv.value()), 0, tlv.value().length);
            }
            start = GpeNshPacket.encapsulateMd2(buf, innerOffset, innerLength, c.spi(), c.si(), c.ttl(), next,
                tlvs, NshHeader.BASE_LENGTH, builder.lengthBytes() - NshHeader.BASE_LENGTH);
        } else {
            start = GpeNshPacket.encapsulateMd1(buf, innerOffset, innerLength, c.spi(), c.si(), c.ttl(), next);
            NshHeader nsh = new NshHeader().wrap(buf, start + VxlanGpeHeader.LENGTH);
            for (int word = 0; word < 4; word++) {
                nsh.md1Context(word, c.context()[word]);
            }
        }
        VxlanGpeHeader gpe = new VxlanGpeHeader().wrap(buf, start).vni(c.vni());
        new NshHeader().wrap(buf, start + VxlanGpeHeader.LENGTH).oBit(c.oBit());
        assertThat(gpe.nextProtocol()).isEqualTo(4);
        int datagram = innerOffset + innerLength - start;
        int frame = Packets.outerFrame(buf, start - Packets.OUTER, datagram, VxlanGpeHeader.UDP_PORT);
        return new int[] {start - Packets.OUTER, frame};
    }

    @Test
    void tsharkDecodesWhatWireEncodes() throws IOException {
        List<Case> cases = cases();
        Path pcap = dir.resolve("wire-encoded.pcap");
        ByteBuffer buf = ByteBuffer.allocateDirect(2048);
        List<ByteBuffer> frames = new ArrayList<>();
        try (FileChannel channel = FileChannel.open(pcap, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             PcapWriter writer = new PcapWriter(channel, PcapWriter.LINKTYPE_ETHERNET)) {
            for (int n = 0; n < cases.size(); n++) {
                buf.clear();
                int[] frame = encode(buf, cases.get(n), n);
                writer.write(1_700_000_000_000_000L + n, buf, frame[0], frame[1]);
                ByteBuffer copy = ByteBuffer.allocate(frame[1]);
                copy.put(0, buf, frame[0], frame[1]);
                frames.add(copy);
            }
        }
        List<Map<String, List<String>>> rows = tsharkFields(pcap);
        assertThat(rows).hasSize(cases.size());

        GpeNshPacket packet = new GpeNshPacket();
        InnerPacket inner = new InnerPacket();
        for (int n = 0; n < cases.size(); n++) {
            Case c = cases.get(n);
            Map<String, List<String>> row = rows.get(n);
            String what = "frame " + (n + 1) + " " + c.inner() + " " + row;
            ByteBuffer frame = frames.get(n);

            // wire's own reading of the same bytes...
            assertThat(packet.wrap(frame, Packets.OUTER, frame.capacity() - Packets.OUTER)).isEqualTo(WireError.OK);
            NshHeader nsh = packet.nsh();
            assertThat(inner.wrap(frame, packet.innerOffset(), packet.innerLength(), nsh.nextProtocol()))
                .isEqualTo(WireError.OK);
            assertThat(nsh.spi()).isEqualTo(c.spi());
            assertThat(nsh.si()).isEqualTo(c.si());
            assertThat(nsh.ttl()).isEqualTo(c.ttl());

            // ...and tshark's must agree field by field.
            assertThat(row.get("_ws.malformed")).as(what).isEmpty();
            assertThat(one(row, "vxlan.next_proto")).as(what).isEqualTo(4);
            assertThat(one(row, "vxlan.p_bit")).as(what).isEqualTo(1);
            assertThat(one(row, "vxlan.vni")).as(what).isEqualTo(packet.gpe().vni()).isEqualTo(c.vni());
            assertThat(one(row, "nsh.version")).as(what).isEqualTo(nsh.version()).isZero();
            assertThat(one(row, "nsh.Obit")).as(what).isEqualTo(nsh.oBit() ? 1 : 0).isEqualTo(c.oBit() ? 1 : 0);
            assertThat(one(row, "nsh.ttl")).as(what).isEqualTo(nsh.ttl());
            assertThat(one(row, "nsh.length")).as(what).isEqualTo(nsh.length());
            assertThat(one(row, "nsh.mdtype")).as(what).isEqualTo(nsh.mdType()).isEqualTo(c.md2() ? 2 : 1);
            assertThat(one(row, "nsh.nextproto")).as(what).isEqualTo(nsh.nextProtocol());
            assertThat(one(row, "nsh.spi")).as(what).isEqualTo(nsh.spi());
            assertThat(one(row, "nsh.si")).as(what).isEqualTo(nsh.si());
            if (c.md2()) {
                assertThat(row.get("nsh.contextheader")).as(what).isEmpty();
                List<Integer> classes = new ArrayList<>();
                List<Integer> types = new ArrayList<>();
                List<Integer> lengths = new ArrayList<>();
                List<String> values = new ArrayList<>();
                for (int tlv = nsh.firstTlv(); tlv >= 0; tlv = nsh.nextTlv(tlv)) {
                    classes.add(nsh.tlvClass(tlv));
                    types.add(nsh.tlvType(tlv));
                    lengths.add(nsh.tlvLength(tlv));
                    if (nsh.tlvLength(tlv) > 0) { // tshark prints no value for an empty TLV
                        values.add(Packets.hex(frame, nsh.tlvValueOffset(tlv), nsh.tlvLength(tlv)));
                    }
                }
                assertThat(classes).hasSize(c.tlvs().length);
                assertThat(ints(row, "nsh.metadataclass")).as(what).isEqualTo(classes)
                    .isEqualTo(Arrays.stream(c.tlvs()).map(Tlv::tlvClass).toList());
                assertThat(ints(row, "nsh.metadatatype")).as(what).isEqualTo(types)
                    .isEqualTo(Arrays.stream(c.tlvs()).map(Tlv::type).toList());
                assertThat(ints(row, "nsh.metadatalen")).as(what).isEqualTo(lengths)
                    .isEqualTo(Arrays.stream(c.tlvs()).map(t -> t.value().length).toList());
                assertThat(row.get("nsh.metadata")).as(what).isEqualTo(values)
                    .isEqualTo(Arrays.stream(c.tlvs()).filter(t -> t.value().length > 0)
                        .map(t -> HEX.formatHex(t.value())).toList());
            } else {
                List<String> words = new ArrayList<>();
                for (int word = 0; word < 4; word++) {
                    words.add(String.format("%08x", nsh.md1Context(word)));
                }
                assertThat(row.get("nsh.contextheader")).as(what).isEqualTo(words)
                    .isEqualTo(Arrays.stream(c.context()).mapToObj(w -> String.format("%08x", w)).toList());
            }

            // The outer headers come first in tshark's lists; the inner ones follow.
            if (inner.version() == 4) {
                assertThat(row.get("ip.src")).as(what).containsExactly("192.0.2.1", address(inner, true));
                assertThat(row.get("ip.dst")).as(what).containsExactly("192.0.2.2", address(inner, false));
                assertThat(row.get("ip.checksum.status")).as(what).containsExactly("1", "1");
            } else {
                assertThat(row.get("ipv6.src")).as(what).containsExactly(address(inner, true));
                assertThat(row.get("ipv6.dst")).as(what).containsExactly(address(inner, false));
            }
            if (inner.isUdp()) {
                assertThat(row.get("udp.srcport")).as(what).containsExactly("40000", String.valueOf(inner.sourcePort()));
                assertThat(row.get("udp.dstport")).as(what).containsExactly("4790", String.valueOf(inner.destinationPort()));
                assertThat(row.get("udp.checksum.status")).as(what).containsExactly("3", "1"); // outer: none; inner: good
            } else {
                assertThat(row.get("udp.srcport")).as(what).containsExactly("40000");
            }
            if (inner.isTcp()) {
                assertThat(row.get("tcp.srcport")).as(what).containsExactly(String.valueOf(inner.sourcePort()));
                assertThat(row.get("tcp.dstport")).as(what).containsExactly(String.valueOf(inner.destinationPort()));
                assertThat(row.get("tcp.checksum.status")).as(what).containsExactly("1");
            }
            if (inner.isIcmp()) {
                String field = inner.version() == 4 ? "icmp" : "icmpv6";
                assertThat(row.get(field + ".type")).as(what).containsExactly(String.valueOf(inner.icmpType()));
                assertThat(row.get(field + ".checksum.status")).as(what).containsExactly("1");
            }
        }
    }

    private static String address(InnerPacket inner, boolean source) {
        byte[] bytes = new byte[16];
        int size = source ? inner.copySourceAddress(bytes) : inner.copyDestinationAddress(bytes);
        try {
            return InetAddress.getByAddress(Arrays.copyOf(bytes, size)).getHostAddress()
                .replaceAll("(^|:)0(:0)+(:|$)", "::").replaceFirst("^0::", "::");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Hand-made vectors: the datagram (VXLAN-GPE onwards) as hex, with what it must decode to. */
    record Vector(String name, String hex, WireError expected, int spi, int si, int ttl, int mdType,
                  String innerSource, int innerSourcePort) {}

    private static final List<Vector> VECTORS = List.of(
        // MD1, O bit clear, TTL 63, SPI 1, SI 255, context 1..4; inner IPv4/UDP 192.168.1.1:12345 -> .2.2:80 "ping"
        new Vector("md1-ipv4-udp",
            "0c000004 00000a00"
                + "0fc60101 000001ff 00000001 00000002 00000003 00000004"
                + "45000020abcd400040110aacc0a80101c0a8020230390050000c6c2870696e67",
            WireError.OK, 1, 255, 63, 1, "192.168.1.1", 12345),
        // MD2 with two TLVs (4-byte value; 3-byte value + 1 pad), SPI 2^24-1, SI 0, TTL 0; inner IPv6/TCP SYN
        new Vector("md2-ipv6-tcp",
            "0c000004 00000100"
                + "0006 0202 ffffff00" + "0000 01 04 11223344" + "fff0 7f 03 abcdef00"
                + "600000000014064020010db800000000000000000000000120010db8000000000000000000000002"
                + "c00001bb000003e8000000005002faf093d90000",
            WireError.OK, 0xFFFFFF, 0, 0, 2, "2001:db8::1", 49152),
        // MD2 without TLVs, O bit set, TTL 2; inner IPv4 ICMP echo request
        new Vector("md2-empty-ipv4-icmp",
            "0c000004 00000000"
                + "2082 0201 00002afe"
                + "45000024abcd400040017b090a0000010a00000208005435123400016162636465666768",
            WireError.OK, 42, 254, 2, 2, "10.0.0.1", 0),
        // MD2 whose TLV claims 9 bytes where 4 are left: tshark calls it malformed, wire TLV_OVERRUN.
        new Vector("md2-tlv-overrun",
            "0c000004 00000100" + "0fc40201 000042ff" + "01010509 aabbccdd",
            WireError.TLV_OVERRUN, 0x42, 255, 63, 2, null, 0),
        // NSH length 6 words but only 4 present: tshark malformed, wire BAD_LENGTH.
        new Vector("md1-length-overrun",
            "0c000004 00000100" + "0fc60101 000042ff" + "00000000 00000000",
            WireError.BAD_LENGTH, 0x42, 255, 63, 1, null, 0));

    @Test
    void wireDecodesWhatTsharkDecodes() throws IOException {
        Path text2pcap = ExternalTool.require("text2pcap");
        // One text2pcap input with one packet per vector; offsets restart at 0000 for each packet.
        StringBuilder dump = new StringBuilder();
        for (Vector vector : VECTORS) {
            byte[] bytes = HEX.parseHex(vector.hex().replace(" ", ""));
            for (int i = 0; i < bytes.length; i += 16) {
                dump.append(String.format("%06x", i));
                for (int j = i; j < Math.min(bytes.length, i + 16); j++) {
                    dump.append(' ').append(String.format("%02x", bytes[j]));
                }
                dump.append('\n');
            }
            dump.append('\n');
        }
        Path text = dir.resolve("vectors.txt");
        Files.writeString(text, dump);
        Path pcap = dir.resolve("vectors.pcap");
        ExternalTool.runOk(TIMEOUT_SECONDS, List.of(text2pcap.toString(), "-q", "-F", "pcap", "-u", "1234,4790",
            text.toString(), pcap.toString()));

        List<Map<String, List<String>>> rows = tsharkFields(pcap);
        assertThat(rows).hasSize(VECTORS.size());

        PcapReader reader = PcapReader.open(pcap);
        assertThat(reader.linkType()).isEqualTo(PcapWriter.LINKTYPE_ETHERNET);
        GpeNshPacket packet = new GpeNshPacket();
        InnerPacket inner = new InnerPacket();
        for (int n = 0; n < VECTORS.size(); n++) {
            Vector vector = VECTORS.get(n);
            Map<String, List<String>> row = rows.get(n);
            String what = vector.name() + " " + row;
            assertThat(reader.next()).isTrue();
            ByteBuffer frame = reader.buffer();
            // text2pcap's dummy Ethernet + IPv4 + UDP: find the UDP payload from the headers themselves.
            int ip = reader.offset() + Packets.ETHERNET;
            int udp = ip + (frame.get(ip) & 0xF) * 4;
            assertThat(frame.getShort(udp + 2) & 0xFFFF).isEqualTo(VxlanGpeHeader.UDP_PORT);
            int datagram = udp + 8;
            int length = (frame.getShort(udp + 4) & 0xFFFF) - 8;
            assertThat(datagram + length).isEqualTo(reader.offset() + reader.length());

            // tshark's decoding of the vector is what the vector says...
            assertThat(one(row, "nsh.spi")).as(what).isEqualTo(vector.spi());
            assertThat(one(row, "nsh.si")).as(what).isEqualTo(vector.si());
            assertThat(one(row, "nsh.ttl")).as(what).isEqualTo(vector.ttl());
            assertThat(one(row, "nsh.mdtype")).as(what).isEqualTo(vector.mdType());

            // ...and wire's decoding of the bytes from the pcap agrees with it.
            WireError error = packet.wrap(frame, datagram, length);
            assertThat(error).as(what).isEqualTo(vector.expected());
            if (error != WireError.OK) {
                assertThat(row.get("_ws.malformed")).as("tshark also finds %s malformed", vector.name()).isNotEmpty();
                continue;
            }
            assertThat(row.get("_ws.malformed")).as(what).isEmpty();
            NshHeader nsh = packet.nsh();
            assertThat(nsh.spi()).as(what).isEqualTo(one(row, "nsh.spi"));
            assertThat(nsh.si()).as(what).isEqualTo(one(row, "nsh.si"));
            assertThat(nsh.ttl()).as(what).isEqualTo(one(row, "nsh.ttl"));
            assertThat(nsh.length()).as(what).isEqualTo(one(row, "nsh.length"));
            assertThat(nsh.mdType()).as(what).isEqualTo(one(row, "nsh.mdtype"));
            assertThat(nsh.nextProtocol()).as(what).isEqualTo(one(row, "nsh.nextproto"));
            assertThat(nsh.oBit() ? 1 : 0).as(what).isEqualTo(one(row, "nsh.Obit"));
            assertThat(packet.gpe().vni()).as(what).isEqualTo(one(row, "vxlan.vni"));
            if (nsh.mdType() == 2) {
                List<Integer> classes = new ArrayList<>();
                List<Integer> lengths = new ArrayList<>();
                List<String> values = new ArrayList<>();
                for (int tlv = nsh.firstTlv(); tlv >= 0; tlv = nsh.nextTlv(tlv)) {
                    classes.add(nsh.tlvClass(tlv));
                    lengths.add(nsh.tlvLength(tlv));
                    values.add(Packets.hex(frame, nsh.tlvValueOffset(tlv), nsh.tlvLength(tlv)));
                }
                assertThat(classes).as(what).isEqualTo(ints(row, "nsh.metadataclass"));
                assertThat(lengths).as(what).isEqualTo(ints(row, "nsh.metadatalen"));
                assertThat(values).as(what).isEqualTo(row.get("nsh.metadata"));
            } else {
                for (int word = 0; word < 4; word++) {
                    assertThat(String.format("%08x", nsh.md1Context(word))).isEqualTo(row.get("nsh.contextheader").get(word));
                }
            }

            assertThat(inner.wrap(frame, packet.innerOffset(), packet.innerLength(), nsh.nextProtocol()))
                .as(what).isEqualTo(WireError.OK);
            assertThat(address(inner, true)).as(what).isEqualTo(vector.innerSource());
            List<String> sources = inner.version() == 4 ? row.get("ip.src") : row.get("ipv6.src");
            assertThat(sources.getLast()).as(what).isEqualTo(address(inner, true));
            List<String> destinations = inner.version() == 4 ? row.get("ip.dst") : row.get("ipv6.dst");
            assertThat(destinations.getLast()).as(what).isEqualTo(address(inner, false));
            assertThat(inner.sourcePort()).as(what).isEqualTo(vector.innerSourcePort());
            if (inner.isUdp()) {
                assertThat(row.get("udp.srcport").getLast()).isEqualTo(String.valueOf(inner.sourcePort()));
                assertThat(row.get("udp.dstport").getLast()).isEqualTo(String.valueOf(inner.destinationPort()));
                assertThat(inner.udp().checksum()).isEqualTo(Checksums.transport(frame, inner));
            }
            if (inner.isTcp()) {
                assertThat(row.get("tcp.srcport")).containsExactly(String.valueOf(inner.sourcePort()));
                assertThat(row.get("tcp.dstport")).containsExactly(String.valueOf(inner.destinationPort()));
                assertThat(inner.tcp().checksum()).isEqualTo(Checksums.transport(frame, inner));
                assertThat(row.get("tcp.checksum.status")).containsExactly("1");
            }
            if (inner.isIcmp()) {
                assertThat(row.get("icmp.type")).containsExactly(String.valueOf(inner.icmpType()));
                assertThat(inner.icmp().checksum()).isEqualTo(Checksums.icmp(frame, inner));
            }
            if (inner.version() == 4) {
                // The vectors' checksums were computed outside Java; wire must compute the same.
                assertThat(inner.ipv4().checksum()).isEqualTo(Checksums.ipv4Header(frame, inner.offset(), 20));
                assertThat(row.get("ip.checksum.status").getLast()).isEqualTo("1");
            }
        }
        assertThat(reader.next()).isFalse();
    }

    @Test
    void rawIpCapturesOpenInTshark() throws IOException {
        Path pcap = dir.resolve("raw.pcap");
        ByteBuffer buf = ByteBuffer.allocate(256);
        try (PcapWriter writer = new PcapWriter(Files.newOutputStream(pcap), PcapWriter.LINKTYPE_RAW)) {
            int length = Packets.ipv4Udp(buf, 3, ipv4(198, 51, 100, 7), ipv4(203, 0, 113, 9), 1111, 2222, 10);
            writer.write(buf, 3, length);
            length = Packets.ipv6Tcp(buf, 0, V6_A, V6_B, 1, 2, 0);
            writer.write(buf, 0, length);
        }
        List<Map<String, List<String>>> rows = tsharkFields(pcap);
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).get("ip.src")).containsExactly("198.51.100.7");
        assertThat(rows.get(0).get("udp.dstport")).containsExactly("2222");
        assertThat(rows.get(0).get("udp.checksum.status")).containsExactly("1");
        assertThat(rows.get(1).get("ipv6.dst")).containsExactly("fd00::1");
        assertThat(rows.get(1).get("tcp.checksum.status")).containsExactly("1");
    }

    /** Runs tshark once over the file, checksum validation on, and returns one field map per frame. */
    private List<Map<String, List<String>>> tsharkFields(Path pcap) {
        List<String> command = new ArrayList<>(List.of(tshark.toString(), "-n", "-r", pcap.toString(),
            "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
            "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,"));
        for (String field : FIELDS) {
            command.add("-e");
            command.add(field);
        }
        String out = ExternalTool.runOk(TIMEOUT_SECONDS, command);
        List<Map<String, List<String>>> rows = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] columns = line.split("\\|", -1);
            assertThat(columns).as("tshark line %s", line).hasSize(FIELDS.size());
            Map<String, List<String>> row = new java.util.LinkedHashMap<>();
            for (int i = 0; i < columns.length; i++) {
                row.put(FIELDS.get(i), columns[i].isEmpty() ? List.of() : List.of(columns[i].split(",")));
            }
            rows.add(row);
        }
        return rows;
    }

    private static int one(Map<String, List<String>> row, String field) {
        List<String> values = row.get(field);
        assertThat(values).as("%s in %s", field, row).hasSize(1);
        return Integer.decode(values.getFirst());
    }

    private static List<Integer> ints(Map<String, List<String>> row, String field) {
        return row.get(field).stream().map(Integer::decode).collect(Collectors.toList());
    }
}
