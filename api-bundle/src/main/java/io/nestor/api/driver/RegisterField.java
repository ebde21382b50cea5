package io.nestor.api.driver;

/**
 * One field of a hardware register (VT-d CAP / ECAP, SMMUv3 IDRn, descriptors): bits {@code lsb .. lsb+width-1} of a 32- or 64-bit value.
 *
 * <p>Invariant: {@code 0 <= lsb}, {@code 1 <= width}, {@code lsb + width <= 64}. {@link #insert}
 * refuses a value that does not fit, so a register can never be composed with a field silently
 * truncated into its neighbour.
 */
public record RegisterField(String name, int lsb, int width) {

    public RegisterField {
        if (lsb < 0 || width < 1 || lsb + width > 64) {
            throw new IllegalArgumentException(name + ": bad field bits " + lsb + "+" + width);
        }
    }

    /** A one-bit field. */
    public static RegisterField bit(String name, int bit) {
        return new RegisterField(name, bit, 1);
    }

    /** The field spanning bits {@code msb:lsb} inclusive, as the specification writes it. */
    public static RegisterField bits(String name, int msb, int lsb) {
        return new RegisterField(name, lsb, msb - lsb + 1);
    }

    /** The field's mask in place. */
    public long mask() {
        return width == 64 ? -1L : ((1L << width) - 1) << lsb;
    }

    /** The field's value in {@code register}. */
    public long extract(long register) {
        return (register & mask()) >>> lsb;
    }

    /** Whether a one-bit field is set in {@code register}. */
    public boolean isSet(long register) {
        return extract(register) != 0;
    }

    /** {@code register} with this field replaced by {@code value}. */
    public long insert(long register, long value) {
        long max = width == 64 ? -1L : (1L << width) - 1;
        if (width < 64 && (value < 0 || value > max)) {
            throw new IllegalArgumentException(name + ": value " + value + " does not fit in " + width + " bits");
        }
        return (register & ~mask()) | (value << lsb);
    }

    /** {@code register} with this one-bit field set to {@code on}. */
    public long insert(long register, boolean on) {
        return insert(register, on ? 1 : 0);
    }
}
