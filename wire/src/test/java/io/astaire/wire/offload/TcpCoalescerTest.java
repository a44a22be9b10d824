package io.astaire.wire.offload;

import static org.assertj.core.api.Assertions.assertThat;

import io.astaire.wire.Checksums;
import io.astaire.wire.InnerPacket;
import io.astaire.wire.WireError;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * In-order TCP segments of a batch become super-packets that the kernel, cutting them again,
 * turns back into exactly the segments that were glued; everything the kernel's GRO would not
 * glue is written alone, untouched, and every flow's packets keep their order.
 */
class TcpCoalescerTest {

    private static final int SLOT = 10_000;
    private static final int SLOTS = 256;

    private final ByteBuffer batch = ByteBuffer.allocateDirect(SLOT * SLOTS);
    private final List<TestPacket> added = new ArrayList<>();
    private final List<byte[]> addedBytes = new ArrayList<>();
    private final GsoSplitter splitter = new GsoSplitter();
    private final InnerPacket view = new InnerPacket();
    private TcpCoalescer coalescer = new TcpCoalescer(8);

    // ---- building batches ----

    /** A flow's template: IPv4 or IPv6 with timestamps, as Linux sends bulk data. */
    private static TestPacket flow(int version, int port) {
        TestPacket packet = new TestPacket();
        packet.version = version;
        packet.sourcePort = port;
        packet.tcpOptions = new byte[] {1, 1, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0x56, 0x78};
        packet.sequence = 0x7FFF_F000; // wraps past 2^31 within a stream
        packet.identification = 0xFFF0;  // wraps past 2^16
        return packet;
    }

    /** Consecutive segments of a flow with the given payload sizes; PSH on the last when asked. */
    private static List<TestPacket> stream(TestPacket template, int[] payloads, boolean pushLast, SplittableRandom random) {
        List<TestPacket> segments = new ArrayList<>();
        int sequence = template.sequence;
        for (int i = 0; i < payloads.length; i++) {
            TestPacket segment = template.copy();
            segment.sequence = sequence;
            segment.identification = (template.identification + i) & 0xFFFF;
            segment.payload(TestPacket.randomBytes(random, payloads[i]), 0, payloads[i]);
            segment.flags = TestPacket.ACK | (pushLast && i == payloads.length - 1 ? TestPacket.PSH : 0);
            segments.add(segment);
            sequence += payloads[i];
        }
        return segments;
    }

    private static int[] sizes(int count, int size) {
        int[] sizes = new int[count];
        Arrays.fill(sizes, size);
        return sizes;
    }

    private int add(TestPacket packet) {
        int tag = added.size();
        int length = packet.write(batch, tag * SLOT);
        byte[] bytes = new byte[length];
        batch.get(tag * SLOT, bytes);
        added.add(packet);
        addedBytes.add(bytes);
        return tag;
    }

    private void addAll(List<TestPacket> packets) {
        packets.forEach(this::add);
    }

    /** Runs the batch through a fresh reset of the coalescer. */
    private void coalesce() {
        coalescer.reset();
        for (int tag = 0; tag < added.size(); tag++) {
            coalescer.add(batch, tag * SLOT, addedBytes.get(tag).length, tag);
        }
    }

    // ---- reading the result ----

    /** The items as lists of tags they hold, e.g. [[0, 1, 2], [3]]: a group lists its segments' tags. */
    private List<List<Integer>> items() {
        List<List<Integer>> items = new ArrayList<>();
        List<byte[]> written = expand();
        int next = 0;
        for (int item = 0; item < coalescer.itemCount(); item++) {
            List<Integer> tags = new ArrayList<>();
            for (int s = 0; s < coalescer.segments(item); s++) {
                tags.add(tagOf(written.get(next++)));
            }
            items.add(tags);
        }
        return items;
    }

    private int tagOf(byte[] packet) {
        for (int tag = 0; tag < addedBytes.size(); tag++) {
            if (Arrays.equals(addedBytes.get(tag), packet)) {
                return tag;
            }
        }
        throw new AssertionError("written packet is none of those added: " + packet.length + " bytes");
    }

    /**
     * What the kernel would deliver: every passthrough packet as it is, every group cut again by
     * the kernel's rules (here: GsoSplitter on the group's own virtio_net_hdr) after checking
     * that the group's partial checksum completes to a correct one.
     */
    private List<byte[]> expand() {
        List<byte[]> packets = new ArrayList<>();
        for (int item = 0; item < coalescer.itemCount(); item++) {
            if (!coalescer.isGroup(item)) {
                assertThat(coalescer.segments(item)).isEqualTo(1);
                int tag = coalescer.tag(item);
                byte[] bytes = new byte[addedBytes.get(tag).length];
                batch.get(tag * SLOT, bytes);
                assertThat(bytes).as("passthrough packets are untouched").isEqualTo(addedBytes.get(tag));
                packets.add(bytes);
                continue;
            }
            ByteBuffer group = coalescer.groupBuffer(item);
            int at = coalescer.groupOffset(item);
            int ipLength = coalescer.groupLength(item) - VirtioNetHeader.LENGTH;
            assertThat(ipLength).isLessThanOrEqualTo(0xFFFF);
            assertThat(coalescer.segments(item)).isBetween(2, TcpCoalescer.MAX_SEGMENTS);
            assertGroupHeaderAsTheKernelExpects(group, at, ipLength);
            assertThat(splitter.prepare(group, at, ipLength)).as(splitter.error().label())
                .isEqualTo(coalescer.segments(item));
            ByteBuffer out = ByteBuffer.allocate(splitter.maxSegmentLength());
            for (int k = 0; k < coalescer.segments(item); k++) {
                int length = splitter.writeSegment(k, out, 0);
                byte[] bytes = new byte[length];
                out.get(0, bytes);
                packets.add(bytes);
            }
        }
        return packets;
    }

    private void assertGroupHeaderAsTheKernelExpects(ByteBuffer group, int at, int ipLength) {
        VirtioNetHeader vnet = new VirtioNetHeader().wrap(group, at);
        int ip = at + VirtioNetHeader.LENGTH;
        assertThat(view.wrap(group, ip, ipLength)).isEqualTo(WireError.OK);
        assertThat(view.isTcp()).isTrue();
        assertThat(vnet.flags()).isEqualTo(VirtioNetHeader.F_NEEDS_CSUM);
        assertThat(vnet.gsoType()).isEqualTo(view.version() == 4 ? VirtioNetHeader.GSO_TCPV4 : VirtioNetHeader.GSO_TCPV6);
        assertThat(vnet.csumStart()).isEqualTo(view.headerLength());
        assertThat(vnet.csumOffset()).isEqualTo(16);
        assertThat(vnet.hdrLen()).isEqualTo(view.headerLength() + view.tcp().headerLength());
        if (view.version() == 4) {
            assertThat(Checksums.verifyIpv4Header(group, ip, 20)).isTrue();
        }
        // CHECKSUM_PARTIAL: the field holds the pseudo-header sum; summing from csum_start completes it.
        ByteBuffer completed = ByteBuffer.allocate(ipLength);
        completed.put(0, group, ip, ipLength);
        int checksum = Checksums.finish(Checksums.partialSum(completed, vnet.csumStart(), ipLength - vnet.csumStart(), 0));
        completed.putShort(vnet.csumStart() + vnet.csumOffset(), (short) checksum);
        assertThat(view.wrap(completed, 0, ipLength)).isEqualTo(WireError.OK);
        assertThat(Checksums.transport(completed, view)).isEqualTo(checksum);
    }

    /** Each flow's packets come out byte for byte as they went in, in the same order. */
    private void assertEveryFlowKeptItsPacketsAndOrder() {
        Map<String, List<byte[]>> in = byFlow(addedBytes);
        Map<String, List<byte[]>> out = byFlow(expand());
        assertThat(out.keySet()).isEqualTo(in.keySet());
        for (String flow : in.keySet()) {
            List<byte[]> expected = in.get(flow);
            List<byte[]> actual = out.get(flow);
            assertThat(actual).as(flow).hasSameSizeAs(expected);
            for (int i = 0; i < expected.size(); i++) {
                assertThat(actual.get(i)).as("%s packet %d", flow, i).isEqualTo(expected.get(i));
            }
        }
    }

    private Map<String, List<byte[]>> byFlow(List<byte[]> packets) {
        Map<String, List<byte[]>> flows = new HashMap<>();
        for (byte[] packet : packets) {
            ByteBuffer buf = ByteBuffer.wrap(packet);
            String key = view.wrap(buf, 0, packet.length) == WireError.OK && view.isTcp()
                ? view.version() + ":" + view.ipv4Source() + view.ipv6SourceLow() + ">" + view.ipv4Destination()
                    + view.ipv6DestinationLow() + ":" + view.sourcePort() + ">" + view.destinationPort()
                : "not tcp";
            flows.computeIfAbsent(key, k -> new ArrayList<>()).add(packet);
        }
        return flows;
    }

    private static List<List<Integer>> groups(int... sizes) {
        List<List<Integer>> items = new ArrayList<>();
        int tag = 0;
        for (int size : sizes) {
            List<Integer> item = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                item.add(tag++);
            }
            items.add(item);
        }
        return items;
    }

    // ---- the tests ----

    @Test
    void aRandomStreamBecomesOneSuperPacketThatCutsBackIntoTheSameSegments() {
        SplittableRandom random = new SplittableRandom(0xC0A1_E5CEL);
        for (int round = 0; round < 200; round++) {
            added.clear();
            addedBytes.clear();
            TestPacket template = flow(random.nextBoolean() ? 4 : 6, 1 + random.nextInt(65535));
            template.tcpOptions = TestPacket.randomTcpOptions(random);
            template.sequence = random.nextInt();
            template.identification = random.nextInt(1 << 16);
            template.tos = random.nextInt(256);
            template.flowLabel = random.nextInt(1 << 20);
            int mss = 1 + random.nextInt(random.nextBoolean() ? 1448 : 9000);
            int room = (0xFFFF - template.headersLength()) / mss;
            int count = 2 + random.nextInt(Math.max(1, Math.min(TcpCoalescer.MAX_SEGMENTS, room) - 1));
            int[] payloads = sizes(count, mss);
            if (random.nextBoolean()) {
                payloads[count - 1] = 1 + random.nextInt(mss);
            }
            addAll(stream(template, payloads, random.nextBoolean(), random));
            coalesce();
            assertThat(coalescer.itemCount()).as("round %d", round).isEqualTo(1);
            assertThat(coalescer.isGroup(0)).isTrue();
            assertThat(coalescer.segments(0)).isEqualTo(count);
            assertThat(items()).as("round %d", round).isEqualTo(groups(count));
            assertEveryFlowKeptItsPacketsAndOrder();
        }
    }

    @Test
    void outOfOrderSegmentsAreNotGlued() {
        List<TestPacket> segments = stream(flow(4, 1000), sizes(6, 1000), false, new SplittableRandom(1));
        for (int i : new int[] {0, 1, 3, 2, 4, 5}) {
            add(segments.get(i));
        }
        coalesce();
        assertThat(items()).isEqualTo(List.of(List.of(0, 1), List.of(2), List.of(3), List.of(4, 5)));
        assertEveryFlowKeptItsPacketsAndOrder();
    }

    @Test
    void packetsOtherThanTcpPassThroughUntouchedWithoutBreakingAGroup() {
        List<TestPacket> segments = stream(flow(6, 1000), sizes(4, 1200), false, new SplittableRandom(2));
        TestPacket udp = new TestPacket().payload(new byte[300], 0, 300);
        udp.protocol = TestPacket.UDP;
        add(segments.get(0));
        add(udp);
        add(segments.get(1));
        add(segments.get(2));
        int garbage = add(udp.copy());
        batch.put(garbage * SLOT, (byte) 0x00); // not even IP
        addedBytes.get(garbage)[0] = 0;
        add(segments.get(3));
        coalesce();
        assertThat(items()).isEqualTo(List.of(List.of(0, 2, 3, 5), List.of(1), List.of(4)));
        assertThat(coalescer.isGroup(1)).isFalse();
        assertThat(coalescer.tag(1)).isEqualTo(1);
        assertEveryFlowKeptItsPacketsAndOrder();
    }

    @Test
    void segmentsWithSynFinRstUrgEceOrCwrAreWrittenAlone() {
        for (int flag : new int[] {0x02, 0x01, 0x04, 0x20, 0x40, 0x80}) {
            added.clear();
            addedBytes.clear();
            List<TestPacket> segments = stream(flow(4, 2000 + flag), sizes(6, 800), false, new SplittableRandom(flag));
            segments.get(2).flags |= flag;
            addAll(segments);
            coalesce();
            assertThat(items()).as("flag 0x%x", flag).isEqualTo(groups(2, 1, 3));
            assertEveryFlowKeptItsPacketsAndOrder();
        }
    }

    @Test
    void pshEndsAGroupAndAPushedFirstSegmentStaysAlone() {
        List<TestPacket> segments = stream(flow(4, 1000), sizes(7, 1000), false, new SplittableRandom(3));
        segments.get(2).flags |= TestPacket.PSH;
        segments.get(3).flags |= TestPacket.PSH;
        addAll(segments);
        coalesce();
        assertThat(items()).isEqualTo(groups(3, 1, 3));
        assertEveryFlowKeptItsPacketsAndOrder();
        VirtioNetHeader vnet = new VirtioNetHeader().wrap(coalescer.groupBuffer(0), 0);
        assertThat(coalescer.groupBuffer(0).get(VirtioNetHeader.LENGTH + vnet.csumStart() + 13) & TestPacket.PSH)
            .as("the super-packet carries the PSH of its last segment").isNotZero();
    }

    @Test
    void aShortSegmentEndsAGroupAndALongerOneIsNotGlued() {
        addAll(stream(flow(4, 1000), new int[] {1000, 1000, 500, 1000, 1000, 1200, 100}, false,
            new SplittableRandom(4)));
        coalesce();
        assertThat(items()).isEqualTo(groups(3, 2, 2));
        assertEveryFlowKeptItsPacketsAndOrder();
    }

    @Test
    void differentTcpOptionsAckOrWindowAreNotGlued() {
        for (String change : List.of("options", "ack", "window", "optionLength")) {
            added.clear();
            addedBytes.clear();
            List<TestPacket> segments = stream(flow(6, 3000), sizes(6, 700), false, new SplittableRandom(5));
            for (int i = 3; i < 6; i++) {
                TestPacket segment = segments.get(i);
                switch (change) {
                    case "options" -> segment.tcpOptions[11]++; // the next timestamp
                    case "ack" -> segment.acknowledgement += 1000;
                    case "window" -> segment.window += 1;
                    default -> segment.tcpOptions = new byte[] {1, 1, 4, 2};
                }
            }
            addAll(segments);
            coalesce();
            assertThat(items()).as(change).isEqualTo(groups(3, 3));
            assertEveryFlowKeptItsPacketsAndOrder();
        }
    }

    @Test
    void ipHeadersThatDifferOrCarryOptionsAreNotGlued() {
        for (String change : List.of("tos", "ttl", "flowLabel", "hopLimit", "noDf", "ipv4Options", "ipv6Extension")) {
            added.clear();
            addedBytes.clear();
            boolean v6 = List.of("flowLabel", "hopLimit", "ipv6Extension").contains(change);
            List<TestPacket> segments = stream(flow(v6 ? 6 : 4, 4000), sizes(4, 700), false, new SplittableRandom(6));
            boolean neverGlued = List.of("noDf", "ipv4Options", "ipv6Extension").contains(change);
            // A difference splits 2+2; what is never glued leaves the third alone and the fourth too.
            for (TestPacket changed : neverGlued ? segments.subList(2, 3) : segments.subList(2, 4)) {
                switch (change) {
                    case "tos" -> changed.tos = 0x03; // a CE mark
                    case "ttl", "hopLimit" -> changed.ttl = 63;
                    case "flowLabel" -> changed.flowLabel = 12345;
                    case "noDf" -> changed.dontFragment = false;
                    case "ipv4Options" -> changed.ipv4OptionBytes = 4;
                    default -> changed.extensions = new int[] {60};
                }
            }
            addAll(segments);
            coalesce();
            assertThat(items()).as(change).isEqualTo(neverGlued ? groups(2, 1, 1) : groups(2, 2));
            assertEveryFlowKeptItsPacketsAndOrder();
        }
    }

    @Test
    void aSegmentWithABadChecksumIsWrittenAloneAsItCame() {
        for (String corrupt : List.of("tcp", "ipv4", "first")) {
            added.clear();
            addedBytes.clear();
            addAll(stream(flow(4, 5000), sizes(6, 900), false, new SplittableRandom(7)));
            int victim = corrupt.equals("first") ? 0 : 2;
            int at = victim * SLOT + (corrupt.equals("ipv4") ? 8 : 100); // the TTL, or a payload byte
            batch.put(at, (byte) (batch.get(at) + 1));
            addedBytes.get(victim)[at - victim * SLOT]++;
            coalesce();
            assertThat(items()).as(corrupt).isEqualTo(corrupt.equals("first") ? groups(1, 5) : groups(2, 1, 3));
            assertEveryFlowKeptItsPacketsAndOrder();
        }
    }

    @Test
    void interleavedFlowsEachBecomeOneGroupInTheirOwnOrder() {
        SplittableRandom random = new SplittableRandom(8);
        List<List<TestPacket>> flows = new ArrayList<>();
        for (int f = 0; f < 4; f++) {
            flows.add(stream(flow(f % 2 == 0 ? 4 : 6, 6000 + f), sizes(10, 1448), false, random));
        }
        for (int i = 0; i < 10; i++) {
            for (List<TestPacket> flow : flows) {
                add(flow.get(i));
            }
        }
        coalesce();
        assertThat(coalescer.itemCount()).isEqualTo(4);
        List<List<Integer>> items = items();
        for (int f = 0; f < 4; f++) {
            List<Integer> tags = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                tags.add(i * 4 + f);
            }
            assertThat(items.get(f)).isEqualTo(tags);
        }
        assertEveryFlowKeptItsPacketsAndOrder();
    }

    @Test
    void atMostSixtyFourSegmentsAndSixtyFiveKilobytesPerGroup() {
        addAll(stream(flow(4, 7000), sizes(100, 100), false, new SplittableRandom(9)));
        coalesce();
        assertThat(items()).isEqualTo(groups(64, 36));
        assertEveryFlowKeptItsPacketsAndOrder();

        added.clear();
        addedBytes.clear();
        addAll(stream(flow(4, 7001), sizes(50, 1448), false, new SplittableRandom(10)));
        coalesce();
        assertThat(items()).isEqualTo(groups(45, 5)); // 52 + 45 * 1448 = 65212; one more would pass 65535
        assertThat(coalescer.groupLength(0)).isEqualTo(VirtioNetHeader.LENGTH + 52 + 45 * 1448);
        assertEveryFlowKeptItsPacketsAndOrder();
    }

    @Test
    void whenGroupBuffersRunOutPacketsPassThroughInOrder() {
        coalescer = new TcpCoalescer(1);
        SplittableRandom random = new SplittableRandom(11);
        List<TestPacket> a = stream(flow(4, 8000), sizes(3, 1000), false, random);
        List<TestPacket> b = stream(flow(4, 8001), sizes(3, 1000), false, random);
        for (int i = 0; i < 3; i++) {
            add(a.get(i));
            add(b.get(i));
        }
        coalesce();
        assertThat(items()).isEqualTo(List.of(List.of(0, 2, 4), List.of(1), List.of(3), List.of(5)));
        assertEveryFlowKeptItsPacketsAndOrder();
    }

    @Test
    void randomBatchesOfManyFlowsKeepEveryFlowsPacketsAndOrder() {
        SplittableRandom random = new SplittableRandom(0xF10E5L);
        for (int round = 0; round < 150; round++) {
            added.clear();
            addedBytes.clear();
            coalescer = new TcpCoalescer(1 + random.nextInt(4), 1 + random.nextInt(64));
            int flowCount = 1 + random.nextInt(12);
            List<List<TestPacket>> flows = new ArrayList<>();
            for (int f = 0; f < flowCount; f++) {
                int mss = 1 + random.nextInt(1448);
                int[] payloads = sizes(1 + random.nextInt(30), mss);
                if (random.nextInt(3) == 0) {
                    payloads[random.nextInt(payloads.length)] = 1 + random.nextInt(mss);
                }
                List<TestPacket> segments = stream(flow(random.nextBoolean() ? 4 : 6, 9000 + f), payloads,
                    random.nextBoolean(), random);
                perturb(random, segments);
                flows.add(segments);
            }
            int[] next = new int[flowCount];
            int remaining = flows.stream().mapToInt(List::size).sum();
            while (remaining > 0 && added.size() < SLOTS - 1) {
                int f = random.nextInt(flowCount);
                if (next[f] < flows.get(f).size()) {
                    add(flows.get(f).get(next[f]++));
                    remaining--;
                } else if (random.nextInt(8) == 0) {
                    TestPacket udp = new TestPacket().payload(new byte[20], 0, 20);
                    udp.protocol = TestPacket.UDP;
                    add(udp);
                }
            }
            coalesce();
            assertEveryFlowKeptItsPacketsAndOrder();
            int segments = 0;
            for (int item = 0; item < coalescer.itemCount(); item++) {
                segments += coalescer.segments(item);
            }
            assertThat(segments).isEqualTo(added.size());
        }
    }

    /** Reorders, duplicates, flags or corrupts a few segments, as a lossy path and odd senders would. */
    private static void perturb(SplittableRandom random, List<TestPacket> segments) {
        int changes = random.nextInt(3);
        for (int c = 0; c < changes && segments.size() > 1; c++) {
            int i = random.nextInt(segments.size());
            switch (random.nextInt(5)) {
                case 0 -> segments.add(random.nextInt(segments.size()), segments.remove(i));
                case 1 -> segments.add(i, segments.get(i).copy());
                case 2 -> segments.get(i).flags |= new int[] {0x01, 0x02, 0x04, 0x08, 0x20, 0x40, 0x80}[random.nextInt(7)];
                case 3 -> segments.get(i).window++;
                default -> segments.remove(i);
            }
        }
    }

    @Test
    void aBatchAfterResetStartsAfresh() {
        addAll(stream(flow(4, 1000), sizes(5, 1000), false, new SplittableRandom(12)));
        coalesce();
        coalesce();
        assertThat(items()).isEqualTo(groups(5));
        assertEveryFlowKeptItsPacketsAndOrder();
    }

    @Test
    void coalescingAndSplittingAllocateNothingOnceWarm() {
        SplittableRandom random = new SplittableRandom(13);
        for (int f = 0; f < 4; f++) {
            addAll(stream(flow(f % 2 == 0 ? 4 : 6, 10_000 + f), sizes(16, 1448), true, random));
        }
        TestPacket udp = new TestPacket().payload(new byte[20], 0, 20);
        udp.protocol = TestPacket.UDP;
        add(udp);
        ByteBuffer out = ByteBuffer.allocateDirect(70_000);
        Runnable round = () -> {
            coalescer.reset();
            for (int tag = 0; tag < added.size(); tag++) {
                coalescer.add(batch, tag * SLOT, addedBytes.get(tag).length, tag);
            }
            for (int item = 0; item < coalescer.itemCount(); item++) {
                if (coalescer.isGroup(item)) {
                    int n = splitter.prepare(coalescer.groupBuffer(item), coalescer.groupOffset(item),
                        coalescer.groupLength(item) - VirtioNetHeader.LENGTH);
                    for (int k = 0; k < n; k++) {
                        splitter.writeSegment(k, out, 0);
                    }
                }
            }
        };
        for (int i = 0; i < 20_000; i++) {
            round.run(); // let the JIT settle
        }
        com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().threadId();
        long before = threads.getThreadAllocatedBytes(id);
        for (int i = 0; i < 2_000; i++) {
            round.run();
        }
        long allocated = threads.getThreadAllocatedBytes(id) - before;
        assertThat(coalescer.itemCount()).isEqualTo(5); // a group per flow, and the UDP datagram
        assertThat(allocated).as("bytes allocated over 2000 batches of 65 packets").isZero();
    }
}
