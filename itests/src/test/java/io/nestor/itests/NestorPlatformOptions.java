package io.nestor.itests;

import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.mavenBundle;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.url;

import java.io.File;
import java.util.List;
import org.ops4j.pax.exam.Option;

/**
 * The Pax Exam configuration of the assembled platform: the same bundles as the distribution
 * (minus FileInstall, whose polling of a load folder the tests do not need), with the gateway on the
 * test port from {@code nestor.itest.grpc.port}.
 *
 * <p>Nestor's own bundles are installed from {@code target/bundles} by {@code file:} URL (copied
 * there from the reactor), everything else from the local Maven repository at the version the pom
 * declares.
 */
public final class NestorPlatformOptions {

    /** Nestor's bundles: artifactId (file name in target/bundles) and Bundle-SymbolicName. */
    public static final List<String[]> NESTOR_BUNDLES = List.of(
            new String[] {"api-bundle", "io.nestor.api"},
            new String[] {"core-translation-bundle", "io.nestor.core"},
            new String[] {"vtd-driver-bundle", "io.nestor.driver.vtd"},
            new String[] {"smmuv3-driver-bundle", "io.nestor.driver.smmuv3"},
            new String[] {"grpc-gateway-bundle", "io.nestor.gateway.grpc"});

    public static final String VTD_DRIVER_BSN = "io.nestor.driver.vtd";
    public static final String SMMUV3_DRIVER_BSN = "io.nestor.driver.smmuv3";
    public static final String GATEWAY_BSN = "io.nestor.gateway.grpc";

    private NestorPlatformOptions() {
    }

    /** The gateway's port in the tests. */
    public static int grpcPort() {
        return Integer.parseInt(System.getProperty("nestor.itest.grpc.port", "50071"));
    }

    public static Option[] platform() {
        File bundles = new File(System.getProperty("nestor.bundles.dir", "target/bundles"));
        Option[] nestor = NESTOR_BUNDLES.stream()
                .map(b -> url(new File(bundles, b[0] + ".jar").toURI().toString()))
                .toArray(Option[]::new);
        return options(
                // Declarative Services and what Felix SCR 2.2 needs beside it (build-stack pitfall 5)
                mavenBundle("org.osgi", "org.osgi.util.function").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.util.promise").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.service.component").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.scr").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.configadmin").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.gogo.runtime").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.gogo.shell").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.gogo.command").versionAsInProject(),
                // libraries the gateway imports rather than embeds
                mavenBundle("com.google.protobuf", "protobuf-java").versionAsInProject(),
                mavenBundle("com.google.guava", "failureaccess").versionAsInProject(),
                mavenBundle("com.google.guava", "guava").versionAsInProject(),
                mavenBundle("com.google.code.gson", "gson").versionAsInProject(),
                composite(nestor),
                frameworkProperty("nestor.grpc.address").value("127.0.0.1"),
                frameworkProperty("nestor.grpc.port").value(Integer.toString(grpcPort())),
                // the shell must not read the failsafe JVM's stdin (build-stack pitfall 7)
                frameworkProperty("gosh.args").value("--nointeractive"),
                systemProperty("gosh.args").value("--nointeractive"),
                // Pax Exam's pax-logging otherwise prints at DEBUG (pitfall 14)
                systemProperty("org.ops4j.pax.logging.DefaultServiceLog.level").value("INFO"),
                junitBundles(),
                cleanCaches());
    }
}
