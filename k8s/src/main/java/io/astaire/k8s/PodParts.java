package io.astaire.k8s;

import static io.astaire.k8s.Names.METRICS_PORT;

import io.fabric8.kubernetes.api.model.CapabilitiesBuilder;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;

/**
 * Pieces of an Astaire container that {@link ManifestRenderer} (gateway edges, functions) and the
 * sidecar injector ({@code io.astaire.k8s.inject}) build alike: probes on the metrics port, ports,
 * resources, and what a container that opens a TUN device needs.
 */
public final class PodParts {
    /** The TUN control device an edge opens. */
    public static final String TUN_DEVICE = "/dev/net/tun";

    private PodParts() {}

    /** An HTTP probe of {@code path} on the metrics port. */
    public static Probe httpProbe(String path, int initialDelay, int period) {
        return httpProbe(path, METRICS_PORT, initialDelay, period);
    }

    public static Probe httpProbe(String path, int port, int initialDelay, int period) {
        return new ProbeBuilder().withNewHttpGet().withPath(path).withNewPort(port).endHttpGet()
                .withInitialDelaySeconds(initialDelay).withPeriodSeconds(period).withFailureThreshold(3).build();
    }

    public static ContainerPort port(String name, int port, String protocol) {
        return new ContainerPortBuilder().withName(name).withContainerPort(port).withProtocol(protocol).build();
    }

    public static ResourceRequirements resources(String cpuRequest, String memRequest, String cpuLimit, String memLimit) {
        return new ResourceRequirementsBuilder()
                .addToRequests("cpu", new Quantity(cpuRequest)).addToRequests("memory", new Quantity(memRequest))
                .addToLimits("cpu", new Quantity(cpuLimit)).addToLimits("memory", new Quantity(memLimit))
                .build();
    }

    /** What an ingress or egress gets, as a gateway or as a sidecar. */
    public static ResourceRequirements edgeResources() {
        return resources("500m", "256Mi", "2", "512Mi");
    }

    /**
     * Exactly what opening and configuring a TUN device takes: {@code NET_ADMIN} and nothing else
     * (every other capability dropped, no privilege escalation). It runs as uid 0 because the
     * kernel gives a non-root process no added capability without ambient capabilities, which
     * Kubernetes cannot set.
     */
    public static SecurityContext tunAccess() {
        return new SecurityContextBuilder()
                .withRunAsUser(0L).withRunAsNonRoot(false).withAllowPrivilegeEscalation(false)
                .withCapabilities(new CapabilitiesBuilder().addToAdd("NET_ADMIN").addToDrop("ALL").build())
                .build();
    }

    /** The node's {@code /dev/net/tun}, as a hostPath volume that must be a character device. */
    public static Volume tunVolume(String name) {
        return new VolumeBuilder().withName(name).withNewHostPath(TUN_DEVICE, "CharDevice").build();
    }

    public static VolumeMount tunMount(String volume) {
        return new VolumeMountBuilder().withName(volume).withMountPath(TUN_DEVICE).build();
    }
}
