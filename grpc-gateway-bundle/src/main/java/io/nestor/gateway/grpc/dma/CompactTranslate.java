package io.nestor.gateway.grpc.dma;

import io.nestor.api.dma.Dma;
import io.nestor.api.dma.DmaRequest;
import io.nestor.api.dma.DmaResult;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.gateway.grpc.proto.DmaSource;
import io.nestor.gateway.grpc.proto.IndexedDmaFault;
import io.nestor.gateway.grpc.proto.TranslateRequest;
import io.nestor.gateway.grpc.proto.TranslateResponse;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * The compact form of {@code Dma.Translate}: one source, packed IOVAs and access bits in; packed
 * output addresses, page sizes and permissions out, faults beside them by index.
 *
 * <p>Why it exists: in the per-request form each request and each result is a nested message (a
 * request even carries its device name as a string), and decoding and encoding those objects on
 * both ends costs several times the translation itself (see benchmarks/README.md). Packed arrays
 * decode into primitive lists.
 *
 * <p>The batch has the semantics of the per-request form: the same {@link Dma#translate} call, so
 * every request is checked before any is translated and a bad batch has no effect.
 */
final class CompactTranslate {

    private CompactTranslate() {
    }

    /** Whether {@code request} uses the compact form. */
    static boolean isCompact(TranslateRequest request) {
        return request.hasSource() || request.getIovasCount() > 0 || request.getPermsCount() > 0;
    }

    /**
     * Translates a compact batch.
     *
     * @param deviceOf the device a source names (the session's resolution of names and dev_ids)
     * @throws IommuException EINVAL when the request also has per-request entries, when the perms
     *     are neither one nor one per IOVA, or when IOVAs come without a source; otherwise as
     *     {@link Dma#translate}
     */
    static TranslateResponse translate(Dma dma, TranslateRequest request, Function<DmaSource, String> deviceOf) {
        int n = request.getIovasCount();
        if (request.getRequestsCount() > 0) {
            throw IommuException.of(Errno.EINVAL, "the batch has %d requests and %d compact IOVAs; use one form",
                    request.getRequestsCount(), n);
        }
        int perms = request.getPermsCount();
        if (n > 0 && perms != 1 && perms != n) {
            throw IommuException.of(Errno.EINVAL, "%d perms for %d IOVAs: give one for all or one per IOVA", perms, n);
        }
        if (n == 0) {
            if (perms > 0) {
                throw IommuException.of(Errno.EINVAL, "%d perms for no IOVA", perms);
            }
            return TranslateResponse.getDefaultInstance();
        }
        if (!request.hasSource()) {
            throw new IommuException(Errno.EINVAL, "the compact batch names no source");
        }
        String device = deviceOf.apply(request.getSource());
        int pasid = DmaMessages.pasid(request.getSource());
        DmaRequest[] batch = new DmaRequest[n];
        boolean onePerm = perms == 1;
        for (int i = 0; i < n; i++) {
            batch[i] = new DmaRequest(device, pasid, request.getIovas(i), request.getPerms(onePerm ? 0 : i));
        }
        List<DmaResult> results = dma.translate(Arrays.asList(batch));
        TranslateResponse.Builder out = TranslateResponse.newBuilder();
        for (int i = 0; i < n; i++) {
            DmaResult r = results.get(i);
            if (r.isFault()) {
                out.addOutputAddresses(0).addPageSizes(0).addPerms(0)
                        .addFaults(IndexedDmaFault.newBuilder().setIndex(i).setFault(DmaMessages.fault(r.fault())));
            } else {
                out.addOutputAddresses(r.outputAddress()).addPageSizes(r.pageSize()).addPerms(r.permissions());
            }
        }
        return out.build();
    }
}
