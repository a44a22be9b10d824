package io.astaire.k8s.inject;

import static io.astaire.k8s.PodParts.edgeResources;
import static io.astaire.k8s.PodParts.httpProbe;
import static io.astaire.k8s.PodParts.port;
import static io.astaire.k8s.PodParts.tunAccess;
import static io.astaire.k8s.PodParts.tunMount;
import static io.astaire.k8s.PodParts.tunVolume;

import io.astaire.k8s.Names;
import io.astaire.model.ControllerProtocol;
import io.astaire.model.IpPrefix;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.util.ArrayList;
import java.util.List;

/**
 * The container and volumes a sidecar edge adds to a pod: the ingress or egress as a native
 * sidecar (an init container with {@code restartPolicy: Always}, Kubernetes 1.29+), so it starts,
 * and has its routes in place, before the application's containers, restarts on its own, and does
 * not keep a Job from completing; the TUN access of a gateway edge ({@code NET_ADMIN},
 * {@code /dev/net/tun}) and nothing more; the chain spec from the rendered ConfigMap.
 */
final class SidecarParts {
    static final String TUN_VOLUME = "astaire-tun";
    static final String CHAIN_VOLUME = "astaire-chain";

    private SidecarParts() {}

    static Container container(InjectOptions o) {
        List<String> args = new ArrayList<>(List.of(o.role().edge()));
        if (o.controller() != null) {
            args.addAll(List.of("--controller", o.controller().toString()));
        } else {
            args.addAll(List.of("--topology", Names.CONFIG_DIR + "/" + Names.CHAIN_FILE));
        }
        args.addAll(List.of("--tun", o.tun(), "--listen", "0.0.0.0:" + o.port()));
        for (IpPrefix r : o.routes()) {
            args.addAll(List.of("--route", r.toString()));
        }
        args.addAll(List.of("--metrics-listen", "0.0.0.0:" + o.metricsPort()));
        ContainerBuilder c = new ContainerBuilder().withName(o.role().containerName()).withImage(o.image()).withArgs(args)
                .withRestartPolicy("Always")
                .withPorts(port("astaire-nsh", o.port(), "UDP"), port("astaire-metrics", o.metricsPort(), "TCP"))
                // The application starts once the edge is ready: TUN up, routes in place, topology applied.
                .withStartupProbe(new ProbeBuilder(httpProbe(Names.READY_PATH, o.metricsPort(), 0, 1)).withFailureThreshold(120).build())
                .withReadinessProbe(httpProbe(Names.READY_PATH, o.metricsPort(), 0, 5))
                .withLivenessProbe(httpProbe(Names.HEALTH_PATH, o.metricsPort(), 10, 10))
                .withResources(edgeResources())
                .withSecurityContext(tunAccess())
                .addToVolumeMounts(tunMount(TUN_VOLUME));
        if (o.controller() != null) { // to report its status; a node never holds the write token
            c.addNewEnv().withName(ControllerProtocol.NODE_TOKEN_ENV).withNewValueFrom()
                    .withNewSecretKeyRef(Names.TOKEN_KEY, Names.NODE_TOKEN, false).endValueFrom().endEnv();
        } else {
            c.addToVolumeMounts(new VolumeMountBuilder().withName(CHAIN_VOLUME).withMountPath(Names.CONFIG_DIR).withReadOnly(true).build());
        }
        return c.build();
    }

    static List<Volume> volumes(InjectOptions o) {
        List<Volume> v = new ArrayList<>(List.of(tunVolume(TUN_VOLUME)));
        if (o.controller() == null) {
            v.add(new VolumeBuilder().withName(CHAIN_VOLUME).withNewConfigMap().withName(o.configMap()).endConfigMap().build());
        }
        return v;
    }
}
