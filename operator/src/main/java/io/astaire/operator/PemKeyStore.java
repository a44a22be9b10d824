package io.astaire.operator;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A TLS server context from the PEM files Kubernetes keeps in a {@code kubernetes.io/tls} Secret
 * ({@code tls.crt}: the certificate, then its chain; {@code tls.key}: the private key in PKCS#8,
 * RSA or EC), as cert-manager writes them with {@code privateKey.encoding: PKCS8}.
 */
final class PemKeyStore {
    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z ]+)-----([^-]+)-----END \\1-----");

    private PemKeyStore() {}

    /**
     * @throws IllegalArgumentException naming the option and the file when either cannot be used
     */
    static SSLContext serverContext(Path certificate, Path key) {
        List<Certificate> chain = certificates(certificate);
        PrivateKey privateKey = privateKey(key);
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            char[] none = new char[0];
            store.setKeyEntry("webhook", privateKey, none, chain.toArray(Certificate[]::new));
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, none);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(keys.getKeyManagers(), null, null);
            return tls;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("--webhook-key " + key + " does not go with --webhook-cert " + certificate + ": " + e.getMessage(), e);
        }
    }

    private static List<Certificate> certificates(Path file) {
        try {
            List<? extends Certificate> chain = List.copyOf(CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(file))));
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("--webhook-cert " + file + ": no certificate in it (PEM, -----BEGIN CERTIFICATE-----)");
            }
            return List.copyOf(chain);
        } catch (IOException e) {
            throw new IllegalArgumentException("--webhook-cert " + file + ": cannot read it: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("--webhook-cert " + file + ": not a PEM certificate: " + e.getMessage(), e);
        }
    }

    private static PrivateKey privateKey(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("--webhook-key " + file + ": cannot read it: " + e.getMessage(), e);
        }
        Matcher m = BLOCK.matcher(text);
        if (!m.find()) {
            throw new IllegalArgumentException("--webhook-key " + file + ": no PEM block in it");
        }
        if (!m.group(1).equals("PRIVATE KEY")) {
            throw new IllegalArgumentException("--webhook-key " + file + ": a " + m.group(1) + ", not a PKCS#8 PRIVATE KEY: convert it "
                    + "with 'openssl pkcs8 -topk8 -nocrypt', or set privateKey.encoding: PKCS8 in the cert-manager Certificate");
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(2));
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException tryNext) {
                // the next algorithm
            }
        }
        throw new IllegalArgumentException("--webhook-key " + file + ": not an RSA, EC or Ed25519 private key");
    }
}
