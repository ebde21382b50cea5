package io.nestor.distribution;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Writes the one-class probe bundle that carries {@link StopMarkerActivator}: a manifest that
 * imports only {@code org.osgi.framework} and the activator's class file copied from the test
 * class path.
 */
final class ProbeBundle {

    static final String SYMBOLIC_NAME = "io.nestor.distribution.it.stopmarker";

    private ProbeBundle() {
    }

    static void write(Path jar) throws IOException {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", SYMBOLIC_NAME);
        main.putValue("Bundle-Version", "1.0.0");
        main.putValue("Bundle-Activator", StopMarkerActivator.class.getName());
        main.putValue("Import-Package", "org.osgi.framework;version=\"[1.8,2)\"");

        String entry = StopMarkerActivator.class.getName().replace('.', '/') + ".class";
        try (OutputStream out = Files.newOutputStream(jar);
                JarOutputStream jarOut = new JarOutputStream(out, manifest);
                InputStream classFile = StopMarkerActivator.class.getClassLoader().getResourceAsStream(entry)) {
            if (classFile == null) {
                throw new IOException("not on the test class path: " + entry);
            }
            jarOut.putNextEntry(new JarEntry(entry));
            classFile.transferTo(jarOut);
            jarOut.closeEntry();
        }
    }
}
