package io.nestor.core.topology;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.UnitFeatures;
import io.nestor.api.platform.MediatedDevice;
import io.nestor.core.pci.PciAddress;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a topology file: sections {@code [unit NAME]} and {@code [device NAME]} with
 * {@code key = value} lines and {@code #} comments. The embedded default topology is such a file,
 * so it doubles as the format's example.
 *
 * <p>Strict on purpose: an unknown section or key, a malformed value or a missing required key is
 * an error naming the line, because a typo silently ignored would give an operator a platform
 * other than the one described. A PCI device name ({@code [segment:]bus:device.function}) gives the
 * device's RID as its source-id unless {@code source-id} says otherwise.
 */
public final class TopologyFile {

    private static final Pattern SECTION = Pattern.compile("\\[\\s*(unit|device)\\s+([^\\]\\s]+)\\s*\\]");

    private static final Set<String> UNIT_KEYS = Set.of("kind", "nesting", "pasid-bits", "input-address-bits",
            "output-address-bits", "page-sizes", "five-level-stage1", "page-requests", "device-tlb",
            "dirty-tracking", "stall", "domain-id-bits", "stream-id-bits", "caching-mode", "hardware-msi-region");
    private static final Set<String> DEVICE_KEYS =
            Set.of("unit", "source-id", "pasid-bits", "pasid-exec", "pasid-priv", "ats", "pri", "parent",
                    "default-pasid");
    /** What a mediated device's section may say: its DMA identity is its parent's. */
    private static final Set<String> MEDIATED_KEYS = Set.of("parent", "default-pasid", "unit");

    private TopologyFile() {
    }

    /** Resource name of the embedded default topology, beside this class. */
    public static final String DEFAULT_RESOURCE = "default-topology.ini";

    /** The embedded default topology: one VT-d unit and one SMMUv3 unit with a few devices each. */
    public static Topology embeddedDefault() {
        try (Reader r = new java.io.InputStreamReader(
                TopologyFile.class.getResourceAsStream(DEFAULT_RESOURCE), java.nio.charset.StandardCharsets.UTF_8)) {
            return parse(r, DEFAULT_RESOURCE);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("embedded " + DEFAULT_RESOURCE + " unreadable", e);
        }
    }

    /** Reads a topology file from disk. */
    public static Topology read(java.nio.file.Path file) throws IOException {
        try (Reader r = java.nio.file.Files.newBufferedReader(file, java.nio.charset.StandardCharsets.UTF_8)) {
            return parse(r, file.toString());
        }
    }

    /** Parses a topology; {@code source} names it in error messages. */
    public static Topology parse(Reader reader, String source) throws IOException {
        List<Section> sections = readSections(reader, source);
        List<UnitSpec> units = new ArrayList<>();
        List<DeviceInfo> devices = new ArrayList<>();
        Map<String, DeviceInfo> physical = new LinkedHashMap<>();
        for (Section s : sections) {
            if (s.type.equals("unit")) {
                units.add(unit(s, source));
            } else if (!s.values.containsKey("parent")) {
                DeviceInfo d = device(s, source);
                devices.add(d);
                physical.putIfAbsent(d.name(), d);
            }
        }
        List<MediatedDevice> mediated = new ArrayList<>();
        for (Section s : sections) {
            if (s.type.equals("device") && s.values.containsKey("parent")) {
                MediatedDevice m = mediated(s, source);
                DeviceInfo parent = physical.get(m.parent());
                if (parent == null) {
                    throw new TopologyFormatException(source, s.values.get("parent").line, "device " + s.name
                            + ": parent " + m.parent() + " is not a physical device of this topology");
                }
                String unit = s.values.containsKey("unit") ? s.values.get("unit").text : parent.unit();
                if (!unit.equals(parent.unit())) {
                    throw new TopologyFormatException(source, s.values.get("unit").line, "device " + s.name
                            + " is mediated by " + parent.name() + ", which is behind unit " + parent.unit()
                            + ", not " + unit);
                }
                devices.add(new DeviceInfo(s.name, parent.unit(), parent.sourceId(), 0, false, false, false, false));
                mediated.add(m);
            }
        }
        try {
            return new Topology(units, devices, mediated);
        } catch (IllegalArgumentException e) {
            throw new TopologyFormatException(source, 0, e.getMessage());
        }
    }

    private static List<Section> readSections(Reader reader, String source) throws IOException {
        List<Section> sections = new ArrayList<>();
        BufferedReader in = new BufferedReader(reader);
        Section current = null;
        String line;
        int number = 0;
        while ((line = in.readLine()) != null) {
            number++;
            String text = stripComment(line).trim();
            if (text.isEmpty()) {
                continue;
            }
            if (text.startsWith("[")) {
                Matcher m = SECTION.matcher(text);
                if (!m.matches()) {
                    throw new TopologyFormatException(source, number,
                            "expected [unit NAME] or [device NAME], got " + text);
                }
                current = new Section(m.group(1), m.group(2), number);
                sections.add(current);
                continue;
            }
            int eq = text.indexOf('=');
            if (eq <= 0) {
                throw new TopologyFormatException(source, number, "expected key = value, got " + text);
            }
            if (current == null) {
                throw new TopologyFormatException(source, number, "key outside a [unit] or [device] section");
            }
            String key = text.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            String value = text.substring(eq + 1).trim();
            Set<String> allowed = current.type.equals("unit") ? UNIT_KEYS : DEVICE_KEYS;
            if (!allowed.contains(key)) {
                throw new TopologyFormatException(source, number,
                        "unknown " + current.type + " key '" + key + "' (known: " + new java.util.TreeSet<>(allowed) + ")");
            }
            if (current.values.put(key, new Value(value, number)) != null) {
                throw new TopologyFormatException(source, number, "key '" + key + "' given twice");
            }
        }
        return sections;
    }

    private static String stripComment(String line) {
        int hash = line.indexOf('#');
        return hash < 0 ? line : line.substring(0, hash);
    }

    private static UnitSpec unit(Section s, String source) {
        Fields f = new Fields(s, source);
        String kind = f.required("kind");
        try {
            UnitFeatures features = new UnitFeatures(
                    f.bool("nesting", true),
                    f.integer("pasid-bits", 20),
                    f.integer("input-address-bits", 48),
                    f.integer("output-address-bits", 48),
                    f.sizes("page-sizes", UnitFeatures.SIZE_4K | UnitFeatures.SIZE_2M | UnitFeatures.SIZE_1G),
                    f.bool("five-level-stage1", false),
                    f.bool("page-requests", false),
                    f.bool("device-tlb", true),
                    f.bool("dirty-tracking", false),
                    f.bool("stall", false),
                    f.integer("domain-id-bits", 16),
                    f.integer("stream-id-bits", 16),
                    f.bool("caching-mode", false),
                    f.bool("hardware-msi-region", false));
            return new UnitSpec(s.name, kind, features);
        } catch (IllegalArgumentException e) {
            if (e instanceof TopologyFormatException) {
                throw e;
            }
            throw new TopologyFormatException(source, s.line, "unit " + s.name + ": " + e.getMessage());
        }
    }

    /**
     * A {@code [device NAME]} with {@code parent}: an IOMMU-backed mediated device, which says only
     * its parent and its default PASID (and, redundantly, its parent's unit).
     */
    private static MediatedDevice mediated(Section s, String source) {
        for (Map.Entry<String, Value> e : s.values.entrySet()) {
            if (!MEDIATED_KEYS.contains(e.getKey())) {
                throw new TopologyFormatException(source, e.getValue().line, "device " + s.name + " is mediated: '"
                        + e.getKey() + "' belongs to its parent (a mediated device says " + new java.util.TreeSet<>(
                                MEDIATED_KEYS) + ")");
            }
        }
        Fields f = new Fields(s, source);
        String parent = f.required("parent");
        f.required("default-pasid");
        int pasid = f.integer("default-pasid", 0);
        if (pasid == 0) {
            throw new TopologyFormatException(source, s.values.get("default-pasid").line, "device " + s.name
                    + ": default-pasid 0 is the PASID of requests without one; a mediated device needs 1 or more");
        }
        return new MediatedDevice(s.name, parent, pasid);
    }

    private static DeviceInfo device(Section s, String source) {
        Fields f = new Fields(s, source);
        String unit = f.required("unit");
        int sourceId;
        if (s.values.containsKey("source-id")) {
            sourceId = f.integer("source-id", 0);
        } else {
            sourceId = PciAddress.parse(s.name).orElseThrow(() -> new TopologyFormatException(source, s.line,
                    "device " + s.name + " is not named by a PCI address ([segment:]bus:device.function), so it"
                            + " needs a source-id")).requesterId();
        }
        int pasidBits = f.integer("pasid-bits", 0);
        boolean exec = f.bool("pasid-exec", false);
        boolean priv = f.bool("pasid-priv", false);
        boolean ats = f.bool("ats", false);
        boolean pri = f.bool("pri", false);
        if ((exec || priv) && pasidBits == 0) {
            throw new TopologyFormatException(source, s.line,
                    "device " + s.name + ": pasid-exec / pasid-priv need a PASID capability (pasid-bits > 0)");
        }
        if (pri && !ats) {
            // PCIe: the Page Request Interface is part of ATS; a PRI function without ATS is invalid.
            throw new TopologyFormatException(source, s.line, "device " + s.name + ": pri needs ats");
        }
        try {
            return new DeviceInfo(s.name, unit, sourceId, pasidBits, exec, priv, ats, pri);
        } catch (IllegalArgumentException e) {
            throw new TopologyFormatException(source, s.line, e.getMessage());
        }
    }

    private record Value(String text, int line) {
    }

    private static final class Section {
        final String type;
        final String name;
        final int line;
        final Map<String, Value> values = new LinkedHashMap<>();

        Section(String type, String name, int line) {
            this.type = type;
            this.name = name;
            this.line = line;
        }
    }

    /** Typed access to one section's values, with errors that name the line. */
    private static final class Fields {
        private final Section section;
        private final String source;

        Fields(Section section, String source) {
            this.section = section;
            this.source = source;
        }

        String required(String key) {
            Value v = section.values.get(key);
            if (v == null || v.text.isEmpty()) {
                throw new TopologyFormatException(source, section.line,
                        section.type + " " + section.name + " needs '" + key + "'");
            }
            return v.text;
        }

        boolean bool(String key, boolean dflt) {
            Value v = section.values.get(key);
            if (v == null) {
                return dflt;
            }
            switch (v.text.toLowerCase(Locale.ROOT)) {
                case "true":
                    return true;
                case "false":
                    return false;
                default:
                    throw new TopologyFormatException(source, v.line, key + " must be true or false, got '" + v.text + "'");
            }
        }

        int integer(String key, int dflt) {
            Value v = section.values.get(key);
            if (v == null) {
                return dflt;
            }
            try {
                String t = v.text.toLowerCase(Locale.ROOT);
                long n = t.startsWith("0x") ? Long.parseLong(t.substring(2), 16) : Long.parseLong(t);
                if (n < 0 || n > Integer.MAX_VALUE) {
                    throw new NumberFormatException();
                }
                return (int) n;
            } catch (NumberFormatException e) {
                throw new TopologyFormatException(source, v.line, key + " must be a non-negative integer, got '" + v.text + "'");
            }
        }

        long sizes(String key, long dflt) {
            Value v = section.values.get(key);
            if (v == null) {
                return dflt;
            }
            long mask = 0;
            for (String part : v.text.split(",")) {
                long size = parseSize(part.trim(), v, key);
                mask |= size;
            }
            return mask;
        }

        private long parseSize(String text, Value v, String key) {
            String t = text.toUpperCase(Locale.ROOT);
            long unit = 1;
            if (t.endsWith("K")) {
                unit = 1L << 10;
            } else if (t.endsWith("M")) {
                unit = 1L << 20;
            } else if (t.endsWith("G")) {
                unit = 1L << 30;
            }
            String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
            try {
                long size = Long.parseLong(digits) * unit;
                if (size < 4096 || Long.bitCount(size) != 1) {
                    throw new NumberFormatException();
                }
                return size;
            } catch (NumberFormatException e) {
                throw new TopologyFormatException(source, v.line,
                        key + ": '" + text + "' is not a power-of-two size of at least 4K (like 4K, 2M, 1G)");
            }
        }
    }
}
