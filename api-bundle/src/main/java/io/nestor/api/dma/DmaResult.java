package io.nestor.api.dma;

/**
 * The outcome of one request: exactly one of a translation or a fault.
 *
 * @param outputAddress the host physical address the request reaches
 * @param pageSize the size of the page (or block) that translated it
 * @param permissions the {@link io.nestor.api.translation.Access} bits the translation grants
 * @param fault the fault, or {@code null} when the request translated
 */
public record DmaResult(long outputAddress, long pageSize, int permissions, DeviceFault fault) {

    public static DmaResult translated(long outputAddress, long pageSize, int permissions) {
        return new DmaResult(outputAddress, pageSize, permissions, null);
    }

    public static DmaResult faulted(DeviceFault fault) {
        return new DmaResult(0, 0, 0, fault);
    }

    public boolean isFault() {
        return fault != null;
    }
}
