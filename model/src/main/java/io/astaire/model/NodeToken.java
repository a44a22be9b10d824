package io.astaire.model;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The credential a node reports with, bound to its name: {@code HMAC-SHA256(node secret, name)} in
 * hex. The controller holds the node secret and recomputes the token for the name in the report's
 * path, so a token lets its holder report under that one name only.
 *
 * <p>A node is given either its own token, written {@code <name>:<hex>} (see
 * {@code astaire controller node-token NAME}), or the node secret itself (all a pod of a
 * Kubernetes Deployment can be given, since its name is only known once it runs), from which it
 * derives its token. The first binds a stolen credential to one name; the second trusts every
 * holder of the secret with any name, and is documented as such.
 */
public final class NodeToken {
    private static final String HMAC = "HmacSHA256";

    private NodeToken() {}

    /** The token of node {@code name} under {@code secret}. */
    public static String derive(String secret, String name) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), HMAC));
            return HexFormat.of().formatHex(mac.doFinal(name.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("the JDK has no " + HMAC, e);
        }
    }

    /** A node's own token as given to it: {@code <name>:<token>}. */
    public static String bound(String secret, String name) {
        return name + ":" + derive(secret, name);
    }

    /**
     * The bearer token node {@code name} sends, from what it was given ({@code credential}: its
     * bound token or the node secret).
     *
     * @throws IllegalArgumentException when the credential is a token bound to another name
     */
    public static String bearerFor(String credential, String name) {
        String c = credential.trim();
        int colon = c.lastIndexOf(':');
        if (colon < 0) {
            return derive(c, name);
        }
        String boundTo = c.substring(0, colon);
        if (!boundTo.equals(name)) {
            throw new IllegalArgumentException("the node token is bound to node '" + boundTo + "', but this node is named '" + name + "'");
        }
        return c.substring(colon + 1);
    }

    /** Whether {@code bearer} is node {@code name}'s token under {@code secret}, compared in constant time. */
    public static boolean verify(String secret, String name, String bearer) {
        if (bearer == null) {
            return false;
        }
        return MessageDigest.isEqual(derive(secret, name).getBytes(StandardCharsets.UTF_8),
                bearer.trim().getBytes(StandardCharsets.UTF_8));
    }
}
