package io.astaire.model;

/** What the controller and its clients (nodes, the CLI) agree on besides the JSON bodies. */
public final class ControllerProtocol {
    /** The response header carrying the topology's version (the ETag carries it too). */
    public static final String VERSION_HEADER = "X-Astaire-Version";
    /** The response header carrying the newest version that is ready on every hop (make-before-break). */
    public static final String READY_VERSION_HEADER = "X-Astaire-Ready-Version";
    /** Where a node finds its node token (or the fleet's node secret) when no file is named. */
    public static final String NODE_TOKEN_ENV = "ASTAIRE_NODE_TOKEN";

    /**
     * In the operator mode each ServiceChain has its own API at {@code /servicechains/<name>/api/v1}:
     * a node's {@code --controller} URL ends in {@code /servicechains/<name>}.
     */
    public static final String SERVICECHAINS = "/servicechains";

    private static final java.util.regex.Pattern DNS_1123_SUBDOMAIN =
            java.util.regex.Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    /** Whether {@code name} can name a ServiceChain (a Kubernetes object name: DNS-1123 subdomain, at most 253). */
    public static boolean isServiceChainName(String name) {
        return name != null && name.length() <= 253 && DNS_1123_SUBDOMAIN.matcher(name).matches();
    }

    /** The path of ServiceChain {@code name}'s API root, to append to the operator's URL. */
    public static String serviceChainPath(String name) {
        return SERVICECHAINS + "/" + name;
    }

    private ControllerProtocol() {}
}
