package io.nestor.itests.support;

import java.util.Collection;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Fresh service look-ups for tests that stop, update and start bundles. Pax Exam's {@code @Inject}
 * fields are resolved once and go stale when the providing bundle restarts (build-stack pitfall 15),
 * so every test asks again through a {@link ServiceTracker} with a bounded wait.
 */
public final class Services {

    private Services() {
    }

    /** Waits for a service of {@code type} matching the LDAP {@code filter} (or any, when null). */
    public static <T> T await(BundleContext context, Class<T> type, String filter) {
        String full = "(objectClass=" + type.getName() + ")";
        if (filter != null) {
            full = "(&" + full + filter + ")";
        }
        ServiceTracker<T, T> tracker;
        try {
            tracker = new ServiceTracker<>(context, FrameworkUtil.createFilter(full), null);
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException(full, e);
        }
        tracker.open();
        try {
            if (tracker.waitForService(TimeUnit.MILLISECONDS.convert(Eventually.TIMEOUT)) == null) {
                throw new AssertionError("no service " + full + " within " + Eventually.TIMEOUT);
            }
            // Taken through the test's own context so that closing the tracker does not release
            // it: a delayed DS component would otherwise be deactivated under the caller's feet.
            T service = context.getService(tracker.getServiceReference());
            if (service == null) {
                throw new AssertionError("service " + full + " went away while being fetched");
            }
            return service;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + full, e);
        } finally {
            tracker.close();
        }
    }

    /** The current registrations of {@code type} matching {@code filter}. */
    public static <T> Collection<ServiceReference<T>> references(BundleContext context, Class<T> type,
            String filter) {
        try {
            return context.getServiceReferences(type, filter);
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException(filter, e);
        }
    }
}
