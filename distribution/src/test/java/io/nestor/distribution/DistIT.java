package io.nestor.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Launches the assembled distribution the way an operator runs it as a service
 * ({@code bin/nestor --no-shell}, from an unrelated working directory, in a separate process),
 * checks that the gRPC gateway answers health checks on a real loopback port, then sends SIGTERM
 * and checks that Felix main's shutdown hook stopped the framework (every bundle's activator
 * stopped), that the process ended and that the port is closed.
 *
 * <p>The test runs on a copy of {@code target/nestor} so that its bundle cache, probe bundle and
 * generated configuration never end up in the tree a developer runs. All waits are bounded.
 */
class DistIT {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

    /** What the JVM reports for a process ended by SIGTERM after its shutdown hooks ran (128 + 15). */
    private static final int EXIT_CODE_SIGTERM = 143;

    private Path work;
    private Path dist;
    private Path log;
    private Process process;

    @BeforeEach
    void copyDistribution() throws IOException {
        Path assembled = Path.of(System.getProperty("nestor.dist.dir", "target/nestor"));
        assertTrue(Files.isRegularFile(assembled.resolve("bin/felix.jar")),
                "the distribution is not assembled at " + assembled + " (run mvn package first)");
        work = Path.of(System.getProperty("nestor.it.work.dir", "target/dist-it"));
        deleteTree(work);
        dist = work.resolve("nestor");
        copyTree(assembled, dist);
        log = work.resolve("nestor.log");
    }

    @AfterEach
    void killLeftover() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @Test
    void servesHealthAndStopsTheFrameworkOnSigterm() throws Exception {
        assertTrue(Files.isExecutable(dist.resolve("bin/nestor")), "bin/nestor is not executable");
        Path marker = work.resolve("stop-marker.txt");
        ProbeBundle.write(dist.resolve("load/stop-marker-probe.jar"));
        int port = freeLoopbackPort();

        Path elsewhere = Files.createDirectories(work.resolve("cwd"));
        ProcessBuilder launch = new ProcessBuilder(dist.resolve("bin/nestor").toString(), "--no-shell",
                "-Dnestor.grpc.port=" + port,
                "-D" + StopMarkerActivator.MARKER_PROPERTY + "=" + marker.toAbsolutePath())
                .directory(elsewhere.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        // The same JDK as the test; stdin stays a pipe nobody writes to, as under a service manager.
        launch.environment().put("JAVA_HOME", System.getProperty("java.home"));
        process = launch.start();

        try (HealthProbe health = new HealthProbe(port)) {
            String status = awaitValue(() -> health.check(""), "SERVING", START_TIMEOUT);
            assertEquals("SERVING", status, "health of the launched platform; log:\n" + logTail());
        }
        // The shipped client, as a user runs it: both units listed, active, with their hw_info types.
        String units = runClient(port, "units");
        assertTrue(units.contains("\"name\": \"dmar0\"") && units.contains("\"name\": \"smmu0\""), units);
        assertEquals(2, units.split("UNIT_STATE_ACTIVE", -1).length - 1, units);
        assertTrue(units.contains("\"out_data_type\": 1") && units.contains("\"out_data_type\": 2"), units);

        // FileInstall deploys load/*.jar shortly after start; its activator records the start.
        awaitValue(() -> markerLines(marker), List.of("started"), START_TIMEOUT);
        assertEquals(List.of("started"), markerLines(marker), "probe bundle in load/ was not started");

        process.destroy(); // SIGTERM on Unix; bin/nestor exec'd java, so the JVM receives it
        assertTrue(process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS),
                "the platform did not exit within " + STOP_TIMEOUT + " of SIGTERM; log:\n" + logTail());
        assertEquals(EXIT_CODE_SIGTERM, process.exitValue(), "exit code; log:\n" + logTail());
        assertEquals(List.of("started", "stopped"), markerLines(marker),
                "the framework did not stop its bundles on SIGTERM; log:\n" + logTail());
        assertThrows(ConnectException.class, () -> connect(port), "gRPC port " + port + " still open");
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** Runs {@code bin/nestor-client} against the launched platform and returns what it printed. */
    private String runClient(int port, String command) throws IOException, InterruptedException {
        ProcessBuilder client = new ProcessBuilder(dist.resolve("bin/nestor-client").toString(),
                "--target", "127.0.0.1:" + port, command).redirectErrorStream(true);
        client.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = client.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS), "nestor-client did not finish");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "nestor-client " + command + " failed:\n" + text);
        return text;
    }

    /** Polls {@code probe} until it yields {@code wanted}, the process dies, or the time is up. */
    private <T> T awaitValue(Supplier<T> probe, T wanted, Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        T last = probe.get();
        while (!wanted.equals(last) && process.isAlive() && Instant.now().isBefore(deadline)) {
            Thread.sleep(250);
            last = probe.get();
        }
        return last;
    }

    private static List<String> markerLines(Path marker) {
        try {
            return Files.exists(marker) ? Files.readAllLines(marker, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void connect(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
        }
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Copies the tree keeping POSIX permissions (bin/nestor stays executable); skips run state. */
    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path source : (Iterable<Path>) paths::iterator) {
                Path relative = from.relativize(source);
                if (relative.startsWith("felix-cache") || relative.startsWith("run")) {
                    continue;
                }
                Path target = to.resolve(relative.toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(path);
            }
        }
    }
}
