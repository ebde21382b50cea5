package io.nestor.core.iommufd;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.translation.PageRequest;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.PageResponseCode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A FAULT object ({@code struct iommufd_fault}, {@code IOMMU_FAULT_QUEUE_ALLOC}): the
 * {@link PageFaultQueue} of the page requests that reach the HWPTs allocated with its id
 * ({@code IOMMU_HWPT_FAULT_ID_VALID}), and the way back to the devices: every answered group —
 * by user space ({@link #respond}), or automatically INVALID when its device leaves the HWPT
 * ({@link #autoRespond}) or the object is destroyed — is sent once, for the group's last request,
 * through the device's unit driver's {@code pageResponse} ({@code iopf_group_response}, which
 * answers a group once with {@code group->last_fault}).
 *
 * <p>Each HWPT using it holds a user, so DESTROY answers EBUSY while one exists. Besides the
 * queue, the object remembers for every outstanding group how it came in (the device, the
 * attachment — RID or PASID — it was routed through, and whether it is an SMMUv3 stall), which the
 * uAPI record cannot carry. Thread-safe: routing state is guarded by this object, the queue by its
 * own lock; driver calls are made outside both.
 */
public final class FaultQueueObject extends IommufdObject {

    private record GroupKey(int devId, int pasid, int grpid) {
    }

    /** How an outstanding group came in. */
    private record Route(DeviceObject device, int attachment, boolean stall) {
    }

    private final IommufdContext context;
    private final PageFaultQueue queue = new PageFaultQueue();
    /** Guarded by this. */
    private final Map<GroupKey, Route> routes = new HashMap<>();

    FaultQueueObject(IommufdContext context) {
        super(ObjectType.FAULT);
        this.context = context;
    }

    /** The queue (reads and tests). */
    public PageFaultQueue queue() {
        return queue;
    }

    /**
     * Queues a page request of {@code device} that reached an HWPT of this object through the
     * attachment at {@code attachment} (NO_PASID: the RID); tells the context's listener when a
     * group became readable.
     */
    void add(DeviceObject device, int attachment, PageRequest request) {
        int pasid = device.issuedPasid(request.pasid()); // a mediated device's requests carry no PASID of its own
        GroupKey key = new GroupKey(device.id(), pasid, request.groupIndex());
        synchronized (this) {
            routes.putIfAbsent(key, new Route(device, attachment, request.stall()));
        }
        boolean last = request.lastInGroup() || request.stall();
        queue.add(new PageFaultQueue.PageFault(device.id(), pasid, request.groupIndex(), request.access(),
                request.address(), last));
        if (last) {
            context.queueListener().faultReadable(id());
        }
    }

    /**
     * write() of {@code struct iommu_hwpt_page_response} records: each answered group's response
     * goes to its device.
     *
     * @return the bytes consumed
     */
    int respond(byte[] responses) {
        PageFaultQueue.Responses r = queue.respond(responses);
        for (Map.Entry<PageFaultQueue.Group, Integer> e : r.answered()) {
            send(e.getKey(), e.getValue() == PageFaultQueue.RESPONSE_SUCCESS ? PageResponseCode.SUCCESS
                    : PageResponseCode.INVALID);
        }
        return r.bytesConsumed();
    }

    /**
     * {@code iommufd_auto_response_faults}: {@code device} left the HWPT at {@code attachment};
     * every group of it that came through that attachment is answered INVALID.
     *
     * @return the groups answered
     */
    int autoRespond(DeviceObject device, int attachment) {
        List<PageFaultQueue.Group> groups = queue.detach(device.id(), g -> {
            synchronized (this) {
                Route r = routes.get(new GroupKey(g.devId(), g.pasid(), g.grpid()));
                return r == null || r.attachment() == attachment;
            }
        });
        for (PageFaultQueue.Group g : groups) {
            send(g, PageResponseCode.INVALID);
        }
        return groups.size();
    }

    /** Sends one group's response, once, for its last request ({@code iopf_group_response}). */
    private void send(PageFaultQueue.Group group, PageResponseCode code) {
        Route route;
        synchronized (this) {
            route = routes.remove(new GroupKey(group.devId(), group.pasid(), group.grpid()));
        }
        if (route == null) {
            return;
        }
        DeviceObject dev = route.device();
        DeviceInfo info = dev.requester();
        PageResponse response = new PageResponse(dev.requesterPasid(group.pasid()), group.grpid(), route.stall(), code);
        // the kernel's page_response op returns nothing: a unit that cannot answer is logged
        DriverCleanup.run(dev.platform().registry(), dev.unit(),
                "page response " + code + " to " + info.name() + " group " + group.grpid(),
                drv -> drv.pageResponse(dev.unit(), info, response));
    }

    /** The fault object is destroyed: every outstanding group is answered INVALID. */
    @Override
    protected void destroy() {
        for (PageFaultQueue.Group g : queue.drain()) {
            send(g, PageResponseCode.INVALID);
        }
    }
}
