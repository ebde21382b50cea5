package io.nestor.core.dma;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.PageRequest;
import io.nestor.api.translation.PageResponse;
import io.nestor.core.platform.PageResponseListener;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Devices waiting for the answer to a page request or a stall: the device side of the recoverable
 * fault protocol. A waiter is registered before the request reaches the unit (the hardware may
 * answer at once, for example when its queue is full) and completed when the unit delivers the
 * page group response or resume for the same requester, PASID, group and kind.
 *
 * <p>Thread-safe. At most one waiter per key, as a device has one outstanding request per group.
 */
public final class PageResponseWaiters implements PageResponseListener {

    private record Key(String unit, int sourceId, int pasid, int groupIndex, boolean stall) {
    }

    private final Map<Key, CompletableFuture<PageResponse>> waiting = new ConcurrentHashMap<>();

    /**
     * Registers the wait for {@code request} on {@code unit}.
     *
     * @throws IommuException EBUSY when the same group is already waiting
     */
    public CompletableFuture<PageResponse> expect(String unit, PageRequest request) {
        Key key = new Key(unit, request.sourceId(), request.pasid(), request.groupIndex(), request.stall());
        CompletableFuture<PageResponse> f = new CompletableFuture<>();
        if (waiting.putIfAbsent(key, f) != null) {
            throw IommuException.of(Errno.EBUSY, "%s 0x%x of source 0x%x on %s is already outstanding",
                    request.stall() ? "stall tag" : "page request group", request.groupIndex(), request.sourceId(),
                    unit);
        }
        return f;
    }

    /** Gives up a wait (timeout, or the request never reached the unit). */
    public void cancel(String unit, PageRequest request, CompletableFuture<PageResponse> f) {
        waiting.remove(new Key(unit, request.sourceId(), request.pasid(), request.groupIndex(), request.stall()), f);
    }

    @Override
    public void pageResponse(String unit, int sourceId, PageResponse response) {
        Objects.requireNonNull(response, "response");
        CompletableFuture<PageResponse> f = waiting.remove(
                new Key(unit, sourceId, response.pasid(), response.groupIndex(), response.stall()));
        if (f != null) {
            f.complete(response);
        }
    }

    /** Requests waiting now. */
    public int outstanding() {
        return waiting.size();
    }
}
