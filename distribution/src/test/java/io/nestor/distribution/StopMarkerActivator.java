package io.nestor.distribution;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/**
 * Activator of the probe bundle that {@link DistIT} drops into the distribution's {@code load/}
 * folder. It appends {@code started} and {@code stopped} lines to the file named by the framework
 * property {@value #MARKER_PROPERTY}, so that the test can tell a framework that stopped its bundles
 * on SIGTERM from a JVM that merely died.
 *
 * <p>Runs inside the launched Felix, loaded from the probe bundle; it must use nothing but the JDK
 * and {@code org.osgi.framework}.
 */
public final class StopMarkerActivator implements BundleActivator {

    /** Framework property naming the marker file. */
    public static final String MARKER_PROPERTY = "nestor.it.stop.marker";

    @Override
    public void start(BundleContext context) throws IOException {
        append(context, "started");
    }

    @Override
    public void stop(BundleContext context) throws IOException {
        append(context, "stopped");
    }

    private static void append(BundleContext context, String line) throws IOException {
        String file = context.getProperty(MARKER_PROPERTY);
        if (file == null) {
            throw new IllegalStateException("framework property " + MARKER_PROPERTY + " is not set");
        }
        Files.writeString(Path.of(file), line + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
