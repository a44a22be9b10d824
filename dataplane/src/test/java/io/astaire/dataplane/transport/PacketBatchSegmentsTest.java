package io.astaire.dataplane.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * How a batch turns coalesced (UDP GRO) messages into slots, without a socket: segment sizes the
 * kernel would never send cannot make a slot reach outside its segment or its area, and nothing
 * that arrived is lost when there are more segments than slots.
 */
class PacketBatchSegmentsTest {

    private static PacketBatch batch(int capacity, int maxDatagram, int headroom) {
        PacketBatch b = new PacketBatch(capacity, maxDatagram, headroom);
        b.ensureAreas();
        return b;
    }

    @Test
    void splitsAMessageIntoEqualSegmentsAndAShortLastOne() {
        PacketBatch b = batch(64, 9216, 16);
        b.addMessage(0, 1000 * 5 + 123, 1000, false);
        assertThat(b.deliverSegments(false)).isEqualTo(6);
        for (int k = 0; k < 6; k++) {
            assertThat(b.offset(k)).isEqualTo(16 + 1000 * k);
            assertThat(b.length(k)).isEqualTo(k < 5 ? 1000 : 123);
            assertThat(b.room(k)).isEqualTo(1000);
            assertThat(b.truncated(k)).isFalse();
            assertThat(b.buffer(k)).isSameAs(b.buffer(0));
            assertThat(b.source(k)).isNull();
        }
        assertThat(b.hasPendingSegments()).isFalse();
    }

    @Test
    void aZeroSegmentSizeMakesOneTruncatedSlot() {
        PacketBatch b = batch(8, 2048, 0);
        b.addMessage(0, 3000, 0, false);
        assertThat(b.deliverSegments(false)).isEqualTo(1);
        assertThat(b.truncated(0)).isTrue();
        assertThat(b.length(0)).isEqualTo(2048);
        assertThat(b.room(0)).isEqualTo(2048);
    }

    @Test
    void aSegmentSizeBeyondAnyDatagramMakesOneTruncatedSlot() {
        PacketBatch b = batch(48, 2048, 0);
        b.addMessage(0, 1500, 70_000, false);
        b.addMessage(1, 1500, -5, false);
        b.addMessage(2, 1500, PacketBatch.NOT_COALESCED, false);
        assertThat(b.deliverSegments(false)).isEqualTo(3);
        assertThat(b.truncated(0)).isTrue();
        assertThat(b.truncated(1)).isTrue();
        assertThat(b.truncated(2)).as("no cmsg: one plain datagram").isFalse();
        assertThat(b.length(2)).isEqualTo(1500);
    }

    @Test
    void aSegmentSizeLargerThanTheMessageIsOneDatagram() {
        PacketBatch b = batch(8, 2048, 0);
        b.addMessage(0, 700, 1400, false);
        assertThat(b.deliverSegments(false)).isEqualTo(1);
        assertThat(b.length(0)).isEqualTo(700);
        assertThat(b.truncated(0)).isFalse();
    }

    @Test
    void segmentsLargerThanMaxDatagramAreTruncatedWithinTheirOwnSegment() {
        PacketBatch b = batch(8, 1000, 0);
        b.addMessage(0, 1500 * 3, 1500, false);
        assertThat(b.deliverSegments(false)).isEqualTo(3);
        for (int k = 0; k < 3; k++) {
            assertThat(b.truncated(k)).isTrue();
            assertThat(b.offset(k)).isEqualTo(1500 * k);
            assertThat(b.length(k)).isEqualTo(1000);
            assertThat(b.room(k)).isEqualTo(1000);
        }
    }

    @Test
    void aMessageTheKernelTruncatedIsOneTruncatedSlot() {
        PacketBatch b = batch(8, 2048, 0);
        b.addMessage(0, 4000, 1000, true);
        assertThat(b.deliverSegments(false)).isEqualTo(1);
        assertThat(b.truncated(0)).isTrue();
    }

    @Test
    void moreSegmentsThanSlotsWaitForTheNextDelivery() {
        PacketBatch b = new PacketBatch(16, 2048, 0, 1);
        b.ensureAreas();
        b.addMessage(0, 64 * 100, 100, false);
        int total = 0;
        for (int call = 0; call < 4; call++) {
            int n = b.deliverSegments(false);
            assertThat(n).isEqualTo(16);
            for (int k = 0; k < n; k++) {
                assertThat(b.offset(k)).isEqualTo(100 * (total + k));
            }
            total += n;
        }
        assertThat(b.hasPendingSegments()).isFalse();
        assertThat(total).isEqualTo(64);
    }

    @Test
    void clearDropsPendingSegmentsAndReturnsSlotsToTheirOwnRegions() {
        PacketBatch b = batch(4, 2048, 8);
        b.addMessage(0, 1000, 100, false);
        b.deliverSegments(false);
        assertThat(b.hasPendingSegments()).isTrue();
        b.clear();
        assertThat(b.hasPendingSegments()).isFalse();
        for (int k = 0; k < 4; k++) {
            assertThat(b.address(k)).isEqualTo(b.slotAddress(k));
            assertThat(b.room(k)).isEqualTo(2048);
            assertThat(b.offset(k)).isEqualTo(8);
        }
    }

    /** The bytes of a message that arrive in slots not marked truncated. */
    private static long intactBytes(int length, int segment, int maxDatagram) {
        if (segment == PacketBatch.NOT_COALESCED) {
            return length <= maxDatagram ? length : 0;
        }
        if (segment < 1 || segment > PacketBatch.AREA_PAYLOAD) {
            return 0;
        }
        long full = segment <= maxDatagram ? (long) (length / segment) * segment : 0;
        int rest = length % segment;
        return full + (rest <= maxDatagram ? rest : 0);
    }

    /** Seeded random messages: delivered slots never overlap, never leave their area, and cover every byte once. */
    @Test
    void randomMessagesNeverGiveOverlappingOrOutOfAreaSlots() {
        Random random = new Random(20261203);
        for (int run = 0; run < 300; run++) {
            int capacity = 1 + random.nextInt(100);
            int maxDatagram = 64 + random.nextInt(9000);
            int headroom = random.nextInt(128);
            PacketBatch b = batch(capacity, maxDatagram, headroom);
            int messages = 1 + random.nextInt(b.areas());
            long expectedBytes = 0;
            for (int m = 0; m < messages; m++) {
                int length = random.nextInt(PacketBatch.AREA_PAYLOAD + 1);
                int segment = switch (random.nextInt(5)) {
                    case 0 -> -1;
                    case 1 -> random.nextInt(3) - 1; // -1, 0, 1
                    case 2 -> random.nextInt(200_000) - 50_000;
                    default -> 1 + random.nextInt(9000);
                };
                boolean broken = random.nextInt(20) == 0;
                b.addMessage(m, length, segment, broken);
                if (!broken) {
                    expectedBytes += intactBytes(length, segment, maxDatagram);
                }
            }
            long deliveredIntact = 0;
            int guard = 0;
            while (b.hasPendingSegments() && guard++ < 100_000) {
                int n = b.deliverSegments(false);
                assertThat(n).isBetween(1, capacity);
                long previousEnd = -1;
                java.nio.ByteBuffer previousBuffer = null;
                for (int k = 0; k < n; k++) {
                    int off = b.offset(k);
                    if (off < headroom || b.length(k) < 0 || b.length(k) > maxDatagram || b.room(k) < b.length(k)
                            || (long) off + b.room(k) > b.buffer(k).capacity()
                            || (b.buffer(k) == previousBuffer && off < previousEnd)) {
                        throw new AssertionError("run " + run + " slot " + k + ": offset " + off + " length " + b.length(k)
                                + " room " + b.room(k) + " previous end " + previousEnd);
                    }
                    previousBuffer = b.buffer(k);
                    previousEnd = (long) off + b.room(k);
                    if (!b.truncated(k)) {
                        deliveredIntact += b.length(k);
                    }
                }
            }
            assertThat(b.hasPendingSegments()).isFalse();
            assertThat(deliveredIntact).as("run %d: every byte of well-formed messages arrives once", run).isEqualTo(expectedBytes);
        }
    }
}
