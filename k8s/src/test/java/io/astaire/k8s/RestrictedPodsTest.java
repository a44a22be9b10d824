package io.astaire.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Pod Security Standards' <em>restricted</em> level, checked rule by rule on every rendered
 * pod (as the API server's PodSecurity admission would): every pod but the edges' meets it; the
 * edges break exactly two rules (root, NET_ADMIN) and the hostPath of /dev/net/tun, nothing else.
 */
class RestrictedPodsTest {

    static List<String> restrictedViolations(PodSpec pod) {
        List<String> v = new java.util.ArrayList<>();
        if (Boolean.TRUE.equals(pod.getHostNetwork()) || Boolean.TRUE.equals(pod.getHostPID()) || Boolean.TRUE.equals(pod.getHostIPC())) {
            v.add("host namespaces");
        }
        if (pod.getVolumes().stream().anyMatch(vol -> vol.getHostPath() != null)) {
            v.add("hostPath volume");
        }
        String podSeccomp = pod.getSecurityContext() == null || pod.getSecurityContext().getSeccompProfile() == null ? null
                : pod.getSecurityContext().getSeccompProfile().getType();
        Boolean podNonRoot = pod.getSecurityContext() == null ? null : pod.getSecurityContext().getRunAsNonRoot();
        for (Container c : ManifestRendererTest.allContainers(pod).toList()) {
            SecurityContext sc = c.getSecurityContext();
            String at = c.getName() + ": ";
            if (sc == null) {
                v.add(at + "no securityContext");
                continue;
            }
            if (!Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) {
                v.add(at + "allowPrivilegeEscalation not false");
            }
            if (Boolean.TRUE.equals(sc.getPrivileged())) {
                v.add(at + "privileged");
            }
            if (sc.getCapabilities() == null || !sc.getCapabilities().getDrop().contains("ALL")) {
                v.add(at + "capabilities not dropped");
            }
            if (sc.getCapabilities() != null) {
                sc.getCapabilities().getAdd().stream().filter(cap -> !cap.equals("NET_BIND_SERVICE")).forEach(cap -> v.add(at + "adds " + cap));
            }
            Boolean nonRoot = sc.getRunAsNonRoot() != null ? sc.getRunAsNonRoot() : podNonRoot;
            if (!Boolean.TRUE.equals(nonRoot) || Long.valueOf(0).equals(sc.getRunAsUser())) {
                v.add(at + "may run as root");
            }
            String seccomp = sc.getSeccompProfile() != null ? sc.getSeccompProfile().getType() : podSeccomp;
            if (!"RuntimeDefault".equals(seccomp) && !"Localhost".equals(seccomp)) {
                v.add(at + "no seccomp profile");
            }
            // Not a rule of the standard, but ours: nothing writes the image.
            if (!Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem())) {
                v.add(at + "writable root file system");
            }
        }
        return v;
    }

    @Test
    void everyPodButTheEdgesMeetsRestricted() {
        List<HasMetadata> objects = ManifestRendererTest.renderAndReparse(Chains.web(),
                RenderOptions.defaults().withNamespace("sfc").withImage("astaire:1"));
        List<Deployment> deployments = objects.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast).toList();
        assertThat(deployments).hasSize(6);
        for (Deployment d : deployments) {
            String name = d.getMetadata().getName();
            PodSpec pod = d.getSpec().getTemplate().getSpec();
            List<String> violations = restrictedViolations(pod);
            if (name.equals(Names.INGRESS) || name.equals(Names.EGRESS)) {
                assertThat(violations).as(name).containsExactlyInAnyOrder("hostPath volume", "astaire: adds NET_ADMIN", "astaire: may run as root");
            } else {
                assertThat(violations).as(name).isEmpty();
            }
            // The read-only root is livable: /tmp is an emptyDir in every container.
            assertThat(pod.getContainers().getFirst().getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));
            assertThat(pod.getVolumes()).anySatisfy(vol -> {
                assertThat(vol.getName()).isEqualTo("tmp");
                assertThat(vol.getEmptyDir()).isNotNull();
            });
        }
    }
}
