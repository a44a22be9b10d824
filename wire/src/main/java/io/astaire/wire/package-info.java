/**
 * Wire formats of Astaire: VXLAN-GPE (UDP 4790) carrying NSH (RFC 8300) carrying an inner IP
 * packet. Every type here is a flyweight over a {@link java.nio.ByteBuffer} region: it is
 * pointed at bytes with {@code wrap}, reads and writes fields in place with absolute get/put,
 * and allocates nothing per packet. Decoders validate before they trust and report problems as a
 * {@link io.astaire.wire.WireError}; they never throw on malformed input.
 */
package io.astaire.wire;
