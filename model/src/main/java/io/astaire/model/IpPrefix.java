package io.astaire.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 prefix such as {@code 10.0.0.0/24} or {@code 2001:db8::/32}. A bare address is
 * a host prefix. Only literals are accepted: a classifier never resolves names.
 */
public record IpPrefix(byte[] address, int length) {

    public IpPrefix {
        if (address.length != 4 && address.length != 16) {
            throw new IllegalArgumentException("address must be 4 or 16 bytes");
        }
        if (length < 0 || length > address.length * 8) {
            throw new IllegalArgumentException("prefix length " + length + " is outside 0-" + address.length * 8);
        }
        address = address.clone();
        // Zero the host bits so equal prefixes compare equal and matching is a plain mask.
        for (int bit = length; bit < address.length * 8; bit++) {
            address[bit >>> 3] &= (byte) ~(0x80 >>> (bit & 7));
        }
    }

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static IpPrefix parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("prefix is empty");
        }
        String s = text.trim();
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        if (!addr.matches("[0-9a-fA-F:.]+") || (!addr.contains(":") && !addr.matches("\\d+\\.\\d+\\.\\d+\\.\\d+"))) {
            throw new IllegalArgumentException("'" + s + "' is not an IP address or prefix (names are not allowed)");
        }
        byte[] bytes;
        try {
            bytes = InetAddress.getByName(addr).getAddress(); // a literal: no lookup happens
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + s + "' is not an IP address or prefix");
        }
        int length = bytes.length * 8;
        if (slash >= 0) {
            try {
                length = Integer.parseInt(s.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + s + "': prefix length is not a number");
            }
        }
        try {
            return new IpPrefix(bytes, length);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + s + "': " + e.getMessage());
        }
    }

    public boolean isIpv6() {
        return address.length == 16;
    }

    @Override
    public byte[] address() {
        return address.clone();
    }

    /** True when the {@code family}-sized address at {@code addr} lies in this prefix. */
    public boolean contains(byte[] addr) {
        if (addr.length != address.length) {
            return false;
        }
        int full = length >>> 3;
        for (int i = 0; i < full; i++) {
            if (addr[i] != address[i]) {
                return false;
            }
        }
        int rest = length & 7;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff00 >>> rest) & 0xff;
        return (addr[full] & mask) == (address[full] & 0xff);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IpPrefix p && p.length == length && Arrays.equals(p.address, address);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(address) + length;
    }

    @JsonValue
    @Override
    public String toString() {
        try {
            return InetAddress.getByAddress(address).getHostAddress() + "/" + length;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
