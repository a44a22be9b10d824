/**
 * Segmentation offloads at the TUN edges. {@link io.astaire.wire.offload.GsoSplitter} cuts what a
 * TUN device with {@code IFF_VNET_HDR} reads (a {@link io.astaire.wire.offload.VirtioNetHeader}
 * and a TSO/USO super-packet of up to 64 KB) into ordinary packets;
 * {@link io.astaire.wire.offload.TcpCoalescer} glues the TCP segments of a received batch back
 * into super-packets for one TUN write each. Like the rest of {@code io.astaire.wire}: flyweights
 * over {@link java.nio.ByteBuffer}s with absolute access, no allocation per packet, and a named
 * {@link io.astaire.wire.offload.OffloadError} instead of an exception for input that does not add up.
 */
package io.astaire.wire.offload;
