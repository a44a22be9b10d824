package io.astaire.model;

/** What the controller and its clients (nodes, the CLI) agree on besides the JSON bodies. */
public final class ControllerProtocol {
    /** The response header carrying the topology's version (the ETag carries it too). */
    public static final String VERSION_HEADER = "X-Astaire-Version";
    /** The response header carrying the newest version that is ready on every hop (make-before-break). */
    public static final String READY_VERSION_HEADER = "X-Astaire-Ready-Version";
    /** Where a node finds its node token (or the fleet's node secret) when no file is named. */
    public static final String NODE_TOKEN_ENV = "ASTAIRE_NODE_TOKEN";

    private ControllerProtocol() {}
}
