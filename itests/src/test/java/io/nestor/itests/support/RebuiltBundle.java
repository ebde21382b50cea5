package io.nestor.itests.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.osgi.framework.Bundle;

/**
 * "A rebuilt bundle of a new version", made in the test from an installed bundle: every entry of
 * the bundle copied into a new jar whose manifest differs only in {@code Bundle-Version}, as a
 * rebuild with a bumped version would. Works for any install location (the content is read through
 * the bundle, not from its location).
 */
public final class RebuiltBundle {

    private RebuiltBundle() {
    }

    /** Writes the rebuilt jar into {@code directory} and returns its path. */
    public static Path withVersion(Bundle bundle, String version, Path directory) throws IOException {
        Manifest manifest;
        try (InputStream in = bundle.getEntry("META-INF/MANIFEST.MF").openStream()) {
            manifest = new Manifest(in);
        }
        manifest.getMainAttributes().put(new Attributes.Name("Bundle-Version"), version);
        Path jar = directory.resolve(bundle.getSymbolicName() + "-" + version + ".jar");
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file, manifest)) {
            Enumeration<URL> entries = bundle.findEntries("/", "*", true);
            while (entries.hasMoreElements()) {
                URL url = entries.nextElement();
                String name = url.getPath().substring(1);
                if (name.isEmpty() || name.endsWith("/") || name.equals("META-INF/MANIFEST.MF")) {
                    continue;
                }
                out.putNextEntry(new JarEntry(name));
                try (InputStream in = url.openStream()) {
                    in.transferTo(out);
                }
                out.closeEntry();
            }
        }
        return jar;
    }
}
