package io.nestor.core.platform;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.HwInfo;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.TranslationConfig;
import java.util.List;
import java.util.Map;

/**
 * A driver double for core tests: reset writes a recognisable ID register, hw_info reads it back,
 * configurations decode to bypass (subclasses override what they need), fault records are two
 * bytes (reason, PASID), and every call is recorded so that tests can see which driver did what.
 */
public class RecordingDriver implements IommuDriver {
    static final int ID_REGISTER = 0x08;

    final String kind;
    final long idValue;
    /** Every call, in order, for example {@code "decode dmar0 0000:00:02.0 -1"}. */
    public final List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
    boolean failReset;

    public RecordingDriver(String kind, long idValue) {
        this.kind = kind;
        this.idValue = idValue;
    }

    @Override
    public String kind() {
        return kind;
    }

    @Override
    public void reset(UnitContext unit) {
        calls.add("reset " + unit.name());
        if (failReset) {
            throw new IllegalStateException("reset refused");
        }
        unit.registers().write64(ID_REGISTER, idValue);
    }

    @Override
    public TranslationConfig decodeConfig(UnitContext unit, DeviceInfo device, int pasid) {
        calls.add("decode " + unit.name() + " " + device.name() + " " + pasid);
        return TranslationConfig.bypass(0);
    }

    @Override
    public byte[] recordFault(UnitContext unit, DeviceInfo device, int pasid, Fault fault) {
        calls.add("recordFault " + unit.name() + " " + device.name() + " " + pasid);
        return new byte[] {(byte) fault.reason().ordinal(), (byte) pasid};
    }

    @Override
    public HwInfo hwInfo(UnitContext unit) {
        calls.add("hwInfo " + unit.name());
        long id = unit.registers().read64(ID_REGISTER);
        return new HwInfo(HwInfo.TYPE_INTEL_VTD, new byte[] {(byte) id}, 0, unit.features().pasidBits(),
                Map.of("id", id));
    }
}
