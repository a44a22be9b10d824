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
 * RSA or EC), as cert-manager writes them with {@code privateKey.encoding: PKCS8}. The files are
 * read again when they change (a renewed certificate: the kubelet swaps the Secret's files in
 * place), looked at no more often than every {@code recheck}; a new pair that cannot be used is
 * logged and the last good one kept, so a renewal half written never takes the webhook down.
 */
final class PemKeyStore {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PemKeyStore.class);
    static final java.time.Duration DEFAULT_RECHECK = java.time.Duration.ofSeconds(10);
    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z ]+)-----([^-]+)-----END \\1-----");

    private PemKeyStore() {}

    /**
     * @throws IllegalArgumentException naming the option and the file when either cannot be used
     */
    static SSLContext serverContext(Path certificate, Path key) {
        return serverContext(certificate, key, DEFAULT_RECHECK);
    }

    static SSLContext serverContext(Path certificate, Path key, java.time.Duration recheck) {
        try {
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(new javax.net.ssl.KeyManager[] {new Reloading(certificate, key, recheck)}, null, null);
            return tls;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no TLS: " + e.getMessage(), e);
        }
    }

    private static javax.net.ssl.X509ExtendedKeyManager keyManager(Path certificate, Path key) {
        List<Certificate> chain = certificates(certificate);
        PrivateKey privateKey = privateKey(key);
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            char[] none = new char[0];
            store.setKeyEntry("webhook", privateKey, none, chain.toArray(Certificate[]::new));
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, none);
            return (javax.net.ssl.X509ExtendedKeyManager) keys.getKeyManagers()[0];
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("--webhook-key " + key + " does not go with --webhook-cert " + certificate + ": " + e.getMessage(), e);
        }
    }

    /** The key manager of the files as they are now: read again when either file's modification time moves. */
    private static final class Reloading extends javax.net.ssl.X509ExtendedKeyManager {
        private final Path certificate;
        private final Path key;
        private final long recheckNanos;
        /** The pair in use, and the one before it: a handshake that chose its alias just before a reload still gets a matching pair. */
        private record Loaded(int generation, javax.net.ssl.X509ExtendedKeyManager keys, Loaded previous) {}

        private volatile Loaded current;
        private volatile long nextCheck;
        private String loadedStamp;

        Reloading(Path certificate, Path key, java.time.Duration recheck) {
            this.certificate = certificate;
            this.key = key;
            this.recheckNanos = recheck.toNanos();
            this.loadedStamp = stamp();
            this.current = new Loaded(0, keyManager(certificate, key), null);
            this.nextCheck = System.nanoTime() + recheckNanos;
        }

        private String stamp() {
            try {
                return Files.getLastModifiedTime(certificate) + "/" + Files.getLastModifiedTime(key) + "/" + Files.size(certificate)
                        + "/" + Files.size(key);
            } catch (IOException e) {
                return "unreadable: " + e.getMessage();
            }
        }

        /** Called on every handshake: a file look every {@code recheck} at most, a read only when they changed. */
        private Loaded now() {
            if (System.nanoTime() - nextCheck >= 0) {
                synchronized (this) {
                    if (System.nanoTime() - nextCheck >= 0) {
                        nextCheck = System.nanoTime() + recheckNanos;
                        String stamp = stamp();
                        if (!stamp.equals(loadedStamp)) {
                            loadedStamp = stamp;
                            try {
                                Loaded before = current;
                                current = new Loaded(before.generation() + 1, keyManager(certificate, key),
                                        new Loaded(before.generation(), before.keys(), null));
                                LOG.info("operator: webhook certificate {} read again (it changed)", certificate);
                            } catch (RuntimeException e) {
                                LOG.warn("operator: webhook certificate {} changed but cannot be used, still serving the last one: {}",
                                        certificate, e.getMessage());
                            }
                        }
                    }
                }
            }
            return current;
        }

        @Override
        public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, java.net.Socket socket) {
            return null;
        }

        /** An alias of generation {@code l}'s key manager, tagged with the generation. */
        private static String tagged(Loaded l, String alias) {
            return alias == null ? null : l.generation() + "#" + alias;
        }

        private javax.net.ssl.X509ExtendedKeyManager keysOf(String tagged) {
            Loaded l = current;
            int generation = Integer.parseInt(tagged.substring(0, tagged.indexOf('#')));
            return generation == l.generation() || l.previous() == null ? l.keys() : l.previous().keys();
        }

        private static String untagged(String tagged) {
            return tagged.substring(tagged.indexOf('#') + 1);
        }

        @Override
        public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
            Loaded l = now();
            String[] aliases = l.keys().getServerAliases(keyType, issuers);
            return aliases == null ? null : java.util.Arrays.stream(aliases).map(a -> tagged(l, a)).toArray(String[]::new);
        }

        @Override
        public String chooseServerAlias(String keyType, java.security.Principal[] issuers, java.net.Socket socket) {
            Loaded l = now();
            return tagged(l, l.keys().chooseServerAlias(keyType, issuers, socket));
        }

        @Override
        public String chooseEngineServerAlias(String keyType, java.security.Principal[] issuers, javax.net.ssl.SSLEngine engine) {
            Loaded l = now();
            return tagged(l, l.keys().chooseEngineServerAlias(keyType, issuers, engine));
        }

        @Override
        public java.security.cert.X509Certificate[] getCertificateChain(String alias) {
            return alias == null || alias.indexOf('#') < 0 ? null : keysOf(alias).getCertificateChain(untagged(alias));
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return alias == null || alias.indexOf('#') < 0 ? null : keysOf(alias).getPrivateKey(untagged(alias));
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
