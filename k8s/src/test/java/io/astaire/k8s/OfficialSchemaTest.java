package io.astaire.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The official-schema half of {@link StrictManifests}: that it refuses what the API server's
 * OpenAPI validation refuses (so the manifests the other tests pass through it are really
 * checked), and that the files shipped as they are pass it.
 */
class OfficialSchemaTest {
    private static final YAMLMapper YAML = new YAMLMapper();
    private OfficialSchema schema;

    @BeforeEach
    void checker() {
        String why = OfficialSchema.unavailable();
        assumeTrue(why == null, "the Kubernetes OpenAPI schema check cannot run here: " + why);
        schema = OfficialSchema.get().orElseThrow();
    }

    private Optional<String> problems(String yaml) throws Exception {
        return schema.problems(YAML.readTree(yaml));
    }

    private static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web-acl, namespace: sfc}
            spec:
              replicas: 2
              selector: {matchLabels: {app: acl}}
              template:
                metadata: {labels: {app: acl}}
                spec:
                  containers:
                  - name: node
                    image: astaire:1
                    ports: [{containerPort: 4790, protocol: UDP}]
            """;

    @Test
    void aValidDeploymentPasses() throws Exception {
        assertThat(problems(DEPLOYMENT)).isEmpty();
    }

    @Test
    void whatTheApiServerRefusesIsNamed() throws Exception {
        assertThat(problems(DEPLOYMENT.replace("replicas: 2", "replicas: two"))).get().asString().contains("/spec/replicas must be integer");
        assertThat(problems(DEPLOYMENT.replace("  selector: {matchLabels: {app: acl}}\n", ""))).get().asString()
                .contains("must have required property selector");
        assertThat(problems(DEPLOYMENT.replace("- name: node\n        image", "- image"))).get().asString()
                .contains("containers/0 must have required property name");
        assertThat(problems(DEPLOYMENT.replace("containerPort: 4790", "containerPort: \"4790\""))).get().asString()
                .contains("containerPort must be integer");
        assertThat(problems(DEPLOYMENT.replace("protocol: UDP", "protocol: [UDP]"))).get().asString().contains("protocol must be string");
    }

    @Test
    void aKindKubernetesDoesNotHaveIsRefusedAndOurCustomResourcesAreLeftToTheirCrd() throws Exception {
        assertThat(problems(DEPLOYMENT.replace("kind: Deployment", "kind: Deploymnet"))).get().asString()
                .contains("has no kind apps/v1 Deploymnet");
        assertThat(problems("apiVersion: astaire.io/v1alpha1\nkind: ServiceChain\nmetadata: {name: web}\nspec: {}\n")).isEmpty();
    }

    @Test
    void strictManifestsRefusesWhatOnlyTheSchemaCatches() {
        // The fabric8 model reads a missing selector without complaint; the schema does not.
        assertThatThrownBy(() -> StrictManifests.parse(DEPLOYMENT.replace("  selector: {matchLabels: {app: acl}}\n", "")))
                .hasMessageContaining("Deployment/web-acl is refused by the Kubernetes OpenAPI schema")
                .hasMessageContaining("selector");
    }

    @Test
    void theShippedOperatorInstallAndCrdPass() throws Exception {
        for (String file : new String[] {"../deploy/operator/install.yaml", "../deploy/operator/webhook.yaml", "../deploy/operator/crd.yaml",
                                         "../deploy/helm/astaire/crds/servicechains.astaire.io.yaml"}) {
            assertThat(StrictManifests.parse(Files.readString(Path.of(file)))).as(file).isNotEmpty();
        }
    }
}
