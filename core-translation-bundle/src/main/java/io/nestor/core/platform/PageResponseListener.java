package io.nestor.core.platform;

import io.nestor.api.translation.PageResponse;

/**
 * Receives the page responses (PRI page group responses, stall resumes) that a unit's hardware
 * delivers to a device — the device side of the recoverable-fault protocol, where the DMA path
 * waits for them.
 */
@FunctionalInterface
public interface PageResponseListener {
    void pageResponse(String unit, int sourceId, PageResponse response);
}
