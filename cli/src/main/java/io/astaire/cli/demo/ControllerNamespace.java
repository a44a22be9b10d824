package io.astaire.cli.demo;

import io.astaire.cli.lab.ChainLab;
import io.astaire.cli.lab.LabNamespace;

/**
 * Adds a {@code controller} namespace to a {@link ChainLab}, plugged into the underlay bridge,
 * so that every node reaches the controller the way it would on a real network (and the
 * controller can be stopped and restarted without touching the nodes).
 */
public final class ControllerNamespace {
    private ControllerNamespace() {}

    /** Creates namespace {@code controller} with {@code address}/24 on the underlay (10.99.0.0/24). */
    public static LabNamespace attach(ChainLab chain, String address) {
        LabNamespace ctl = chain.lab().namespace("controller");
        LabNamespace fabric = chain.ns("fabric");
        chain.lab().veth(ctl, "u0", fabric, "ctl");
        fabric.exec("ip", "link", "set", "ctl", "master", "br0");
        chain.lab().address(ctl, "u0", address + "/24");
        return ctl;
    }
}
