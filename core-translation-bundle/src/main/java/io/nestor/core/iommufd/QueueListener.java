package io.nestor.core.iommufd;

/**
 * Told when one of a context's event queues becomes readable — the EPOLLIN of a FAULT object's fd
 * or a VEVENTQ's fd. Called on the reporting thread (a device's DMA), possibly while the device's
 * attach lock is held: an implementation must not block nor call back into attach / detach; it
 * may read the queue ({@link EventQueueCommands#readFault}, {@link EventQueueCommands#readVevents}).
 */
public interface QueueListener {

    /** A no-op listener: the queues keep their events until read. */
    QueueListener NONE = new QueueListener() {
    };

    /** The FAULT object {@code faultId} has whole groups to read. */
    default void faultReadable(int faultId) {
    }

    /** The VEVENTQ {@code veventqId} has events (or a lost-events header) to read. */
    default void veventReadable(int veventqId) {
    }
}
