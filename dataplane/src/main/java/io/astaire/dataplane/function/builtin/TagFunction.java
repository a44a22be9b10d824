package io.astaire.dataplane.function.builtin;

import io.astaire.function.FunctionConfig;
import io.astaire.function.PacketContext;
import io.astaire.function.ServiceFunction;
import io.astaire.function.Verdict;
import io.astaire.wire.Checksums;
import io.astaire.wire.InnerPacket;
import io.astaire.wire.UdpHeader;
import io.micrometer.core.instrument.Tags;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.LongAdder;

/**
 * Appends a fixed string to the payload of every inner UDP datagram (the test function of the
 * original 2018 Astaire), fixing the IPv4 total length and header checksum or the IPv6 payload
 * length, the UDP length and the UDP checksum. The receiver sees its datagrams with the tag at the
 * end: an end-to-end proof that packets crossed the function. Other packets pass unchanged; IP
 * fragments too (their UDP length describes the whole datagram). A datagram with no room left in
 * the buffer (or that would exceed 65535 bytes) is dropped and counted.
 *
 * <pre>
 * config:
 *   text: "|astaire"    # required; UTF-8 bytes appended to each UDP payload
 * </pre>
 *
 * Metric: {@code astaire_tag_packets_total{function, result=tagged|passed|no_room}}.
 */
public final class TagFunction implements ServiceFunction {
    public static final String KIND = "tag";

    /** The function's config as written in the topology. */
    public record Config(String text) {}

    private byte[] tag;
    private MeterSet metrics;
    private final LongAdder tagged = new LongAdder();
    private final LongAdder passed = new LongAdder();
    private final LongAdder noRoom = new LongAdder();

    @Override
    public void configure(FunctionConfig config) {
        Config c = config.bind(Config.class);
        if (c.text() == null || c.text().isEmpty()) {
            throw config.invalid("text", "is required (the string appended to UDP payloads)");
        }
        tag = c.text().getBytes(StandardCharsets.UTF_8);
        if (tag.length > 1024) {
            throw config.invalid("text", "is " + tag.length + " bytes; at most 1024");
        }
        metrics = new MeterSet(config.meters(), config.tags());
        metrics.counter("astaire.tag.packets", "Packets seen by the tag function, by result: tagged, passed (not UDP, or a fragment), no_room (dropped)",
                null, Tags.of("result", "tagged"), tagged, LongAdder::sum);
        metrics.counter("astaire.tag.packets", "Packets seen by the tag function, by result: tagged, passed (not UDP, or a fragment), no_room (dropped)",
                null, Tags.of("result", "passed"), passed, LongAdder::sum);
        metrics.counter("astaire.tag.packets", "Packets seen by the tag function, by result: tagged, passed (not UDP, or a fragment), no_room (dropped)",
                null, Tags.of("result", "no_room"), noRoom, LongAdder::sum);
    }

    @Override
    public Verdict process(PacketContext packet) {
        InnerPacket ip = packet.inner();
        if (!ip.isUdp() || ip.isFragment()) {
            passed.increment();
            return Verdict.FORWARD;
        }
        int length = packet.innerLength();
        int grown = length + tag.length;
        if (grown > packet.innerCapacity() || grown > 65535) {
            return noRoom();
        }
        ByteBuffer buf = packet.buffer();
        buf.put(packet.innerOffset() + length, tag);
        UdpHeader udp = ip.udp();
        boolean udpChecksumOff = ip.version() == 4 && udp.checksum() == 0; // IPv4 UDP may carry none
        udp.length(udp.length() + tag.length);
        if (ip.version() == 4) {
            ip.ipv4().totalLength(grown);
            ip.ipv4().checksum(Checksums.ipv4Header(buf, packet.innerOffset(), ip.ipv4().headerLength()));
        } else {
            ip.ipv6().payloadLength(ip.ipv6().payloadLength() + tag.length);
        }
        packet.innerLength(grown);
        InnerPacket regrown = packet.inner(); // re-wrapped over the new length
        if (!udpChecksumOff) {
            regrown.udp().checksum(Checksums.transport(buf, regrown));
        }
        tagged.increment();
        return Verdict.FORWARD;
    }

    private Verdict noRoom() {
        noRoom.increment();
        return Verdict.DROP;
    }

    @Override
    public void stop() {
        if (metrics != null) {
            metrics.close();
        }
    }
}
