package io.nestor.core.pci;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PCI function's address, {@code [segment:]bus:device.function} as Linux prints it; the topology
 * names PCI devices this way, and a device not so named (a platform device behind an SMMU) has no
 * PCI configuration space.
 *
 * @param segment the PCI segment (domain), 0 when the name omits it
 * @param bus 0..255
 * @param device 0..31
 * @param function 0..7
 */
public record PciAddress(int segment, int bus, int device, int function) {

    private static final Pattern ADDRESS =
            Pattern.compile("(?:([0-9a-fA-F]{4}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\\.([0-7])");

    public PciAddress {
        if (segment < 0 || segment > 0xffff || bus < 0 || bus > 0xff || device < 0 || device > 0x1f
                || function < 0 || function > 7) {
            throw new IllegalArgumentException(String.format("not a PCI address: %x:%x:%x.%x", segment, bus, device,
                    function));
        }
    }

    /** The address a device name spells, if it is one. */
    public static Optional<PciAddress> parse(String name) {
        Matcher m = ADDRESS.matcher(name);
        if (!m.matches()) {
            return Optional.empty();
        }
        int segment = m.group(1) == null ? 0 : Integer.parseInt(m.group(1), 16);
        int device = Integer.parseInt(m.group(3), 16);
        if (device > 0x1f) {
            return Optional.empty();
        }
        return Optional.of(new PciAddress(segment, Integer.parseInt(m.group(2), 16), device,
                Integer.parseInt(m.group(4))));
    }

    /** The 16-bit requester ID: bus, device, function. */
    public int requesterId() {
        return bus << 8 | device << 3 | function;
    }

    @Override
    public String toString() {
        return String.format("%04x:%02x:%02x.%x", segment, bus, device, function);
    }
}
