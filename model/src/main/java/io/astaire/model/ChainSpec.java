package io.astaire.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * An ordered list of functions that a classified flow traverses.
 *
 * @param spi the service path identifier of the forward direction, 1 to {@link #MAX_FORWARD_SPI};
 *     {@code null} until allocated (by the controller, or in declaration order for a file)
 * @param symmetric when true (the default) replies travel the functions in reverse order on path
 *     {@link #reverseSpi(int)}; when false the chain is one-way
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChainSpec(String name, Integer spi, Boolean symmetric, List<String> functions) {

    /** Forward SPIs use the lower half of the 24-bit space; the reverse path sets the top bit. */
    public static final int MAX_FORWARD_SPI = 0x7F_FFFF;
    private static final int REVERSE_BIT = 0x80_0000;

    public ChainSpec {
        symmetric = symmetric == null ? Boolean.TRUE : symmetric;
        functions = functions == null ? List.of() : List.copyOf(functions);
    }

    public boolean isSymmetric() {
        return symmetric;
    }

    public static int reverseSpi(int forwardSpi) {
        return forwardSpi | REVERSE_BIT;
    }

    public static boolean isReverseSpi(int spi) {
        return (spi & REVERSE_BIT) != 0;
    }

    public ChainSpec withSpi(int newSpi) {
        return new ChainSpec(name, newSpi, symmetric, functions);
    }
}
