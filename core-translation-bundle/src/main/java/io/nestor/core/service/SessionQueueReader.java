package io.nestor.core.service;

import io.nestor.api.error.IommuException;
import io.nestor.core.iommufd.FaultQueueObject;
import io.nestor.core.iommufd.IommufdContext;
import io.nestor.core.iommufd.IommufdObject;
import io.nestor.core.iommufd.PageFaultQueue;
import io.nestor.core.iommufd.QueueListener;
import io.nestor.core.iommufd.VeventqObject;
import java.util.Arrays;

/**
 * The reader of one iommufd context's event queues on behalf of the session's subscribers: when a
 * FAULT object or a VEVENTQ becomes readable it reads them as the kernel's read() would — whole
 * page-request groups as {@code struct iommu_hwpt_pgfault} records, whole vEVENTs — and hands each
 * record or event to the session's {@link SessionEventHub}.
 *
 * <p>While the session has no subscriber nothing is read: the queues keep their events (a VEVENTQ
 * counting what it drops) until a subscription starts and reads them
 * ({@link SessionIommufd#deliverPendingEvents}). Reads and deliveries of one session are serialised
 * on its {@link SessionIommufd}, so a group's records reach a subscriber together and in order.
 */
final class SessionQueueReader implements QueueListener {
    /** How much one read() asks for: whole groups up to this many records. */
    static final int READ_RECORDS = 256;

    private final CoreSession session;
    private final int handle;
    private final IommufdContext context;

    SessionQueueReader(CoreSession session, int handle, IommufdContext context) {
        this.session = session;
        this.handle = handle;
        this.context = context;
    }

    @Override
    public void faultReadable(int faultId) {
        if (session.events().subscriberCount() > 0) {
            synchronized (session.iommufd()) {
                readFault(faultId);
            }
        }
    }

    @Override
    public void veventReadable(int veventqId) {
        if (session.events().subscriberCount() > 0) {
            synchronized (session.iommufd()) {
                readVevents(veventqId);
            }
        }
    }

    /** Reads and delivers everything the context's queues hold. */
    void deliverAll() {
        if (session.events().subscriberCount() == 0) {
            return;
        }
        synchronized (session.iommufd()) {
            try {
                for (IommufdObject o : context.objects().objects()) {
                    if (o instanceof FaultQueueObject) {
                        readFault(o.id());
                    } else if (o instanceof VeventqObject) {
                        readVevents(o.id());
                    }
                }
            } catch (IommuException closed) {
                // the context closed meanwhile: its queues answered or dropped everything
            }
        }
    }

    private void readFault(int faultId) {
        try {
            while (true) {
                byte[] records = context.eventQueues().readFault(faultId, READ_RECORDS * PageFaultQueue.RECORD_SIZE);
                if (records.length == 0) {
                    return;
                }
                for (int at = 0; at < records.length; at += PageFaultQueue.RECORD_SIZE) {
                    session.events().pageFault(handle, faultId,
                            Arrays.copyOfRange(records, at, at + PageFaultQueue.RECORD_SIZE));
                }
            }
        } catch (IommuException gone) {
            // the object or the context went away meanwhile: its groups were answered INVALID
        }
    }

    private void readVevents(int veventqId) {
        try {
            while (true) {
                java.util.List<byte[]> events = context.eventQueues().readVevents(veventqId, READ_RECORDS);
                if (events.isEmpty()) {
                    return;
                }
                for (byte[] e : events) {
                    session.events().vevent(handle, veventqId, e);
                }
            }
        } catch (IommuException gone) {
            // the queue or the context went away meanwhile
        }
    }
}
