package io.nestor.gateway.grpc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away PKI for the TLS tests, made with the JDK's own {@code keytool} (no test library):
 * a CA, a server certificate it signs (SAN IP 127.0.0.1, serverAuth), a client certificate it signs
 * (clientAuth), and a client certificate signed by an unrelated CA. Certificates are written as PEM;
 * the private keys, which keytool cannot export, are read back from its PKCS#12 stores with
 * {@link KeyStore} and written as unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY"), the form the
 * gateway's configuration takes. EC P-256 keys, valid for two days.
 */
final class TestCertificates {
    private static final String PASSWORD = "nestor-test";

    final Path dir;
    /** The CA's certificate: what the server trusts for clients and clients trust for the server. */
    final Path caCert;
    /** The server's chain (its certificate, then the CA's) and key. */
    final Path serverChain;
    final Path serverKey;
    /** A client's chain and key, signed by {@link #caCert}. */
    final Path clientChain;
    final Path clientKey;
    /** A client's chain and key signed by another CA, which the server does not trust. */
    final Path strangerChain;
    final Path strangerKey;

    TestCertificates(Path dir) throws IOException, InterruptedException {
        this.dir = dir;
        caCert = selfSignedCa("ca");
        Path otherCa = selfSignedCa("other-ca");
        serverChain = signed("server", "ca", caCert, "SAN=ip:127.0.0.1,dns:localhost", "EKU=serverAuth");
        serverKey = privateKey("server");
        clientChain = signed("client", "ca", caCert, null, "EKU=clientAuth");
        clientKey = privateKey("client");
        strangerChain = signed("stranger", "other-ca", otherCa, null, "EKU=clientAuth");
        strangerKey = privateKey("stranger");
    }

    private Path store(String alias) {
        return dir.resolve(alias + ".p12");
    }

    private Path selfSignedCa(String alias) throws IOException, InterruptedException {
        genKeyPair(alias, "CN=nestor test " + alias, "BC:c=ca:true");
        Path pem = dir.resolve(alias + ".pem");
        keytool("-exportcert", "-rfc", "-alias", alias, "-keystore", store(alias).toString(), "-storepass", PASSWORD,
                "-file", pem.toString());
        return pem;
    }

    /** A key pair for {@code alias} and its certificate signed by {@code issuer}; returns the chain file. */
    private Path signed(String alias, String issuer, Path issuerCert, String san, String eku)
            throws IOException, InterruptedException {
        genKeyPair(alias, "CN=nestor test " + alias, null);
        Path csr = dir.resolve(alias + ".csr");
        keytool("-certreq", "-alias", alias, "-keystore", store(alias).toString(), "-storepass", PASSWORD,
                "-file", csr.toString());
        Path cert = dir.resolve(alias + ".pem");
        List<String> args = new ArrayList<>(List.of("-gencert", "-rfc", "-alias", issuer, "-keystore",
                store(issuer).toString(), "-storepass", PASSWORD, "-infile", csr.toString(), "-outfile",
                cert.toString(), "-validity", "2", "-ext", eku));
        if (san != null) {
            args.addAll(List.of("-ext", san));
        }
        keytool(args.toArray(String[]::new));
        Path chain = dir.resolve(alias + "-chain.pem");
        Files.writeString(chain, Files.readString(cert) + Files.readString(issuerCert));
        return chain;
    }

    private void genKeyPair(String alias, String dname, String extension) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("-genkeypair", "-alias", alias, "-keyalg", "EC", "-groupname",
                "secp256r1", "-dname", dname, "-validity", "2", "-storetype", "PKCS12", "-keystore",
                store(alias).toString(), "-storepass", PASSWORD));
        if (extension != null) {
            args.addAll(List.of("-ext", extension));
        }
        keytool(args.toArray(String[]::new));
    }

    /** The alias's private key as PKCS#8 PEM. */
    private Path privateKey(String alias) throws IOException {
        try (InputStream in = Files.newInputStream(store(alias))) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, PASSWORD.toCharArray());
            PrivateKey key = (PrivateKey) ks.getKey(alias, PASSWORD.toCharArray());
            if (!"PKCS#8".equals(key.getFormat())) {
                throw new IllegalStateException("key of " + alias + " is " + key.getFormat());
            }
            Path pem = dir.resolve(alias + "-key.pem");
            Files.writeString(pem, "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
                    + "\n-----END PRIVATE KEY-----\n");
            return pem;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    private void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        // A hang guard, not a timing assertion.
        if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("keytool " + String.join(" ", args) + " failed: " + output);
        }
    }
}
