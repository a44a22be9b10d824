package io.astaire.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import io.astaire.k8s.RenderOptions;
import io.astaire.model.ChainSpec;
import io.astaire.model.FunctionSpec;
import io.astaire.model.ModelException;
import io.astaire.model.Protocol;
import io.astaire.model.RuleSpec;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The CRD cannot drift from the model: the shipped YAML is the generated one; every field of the
 * model's records has its property; and for seeded random edits of a valid ServiceChain the
 * schema refuses exactly what the model refuses where a schema can say it (names, SPIs,
 * replicas, ports, protocols, required and unknown fields), and never refuses what the model
 * accepts elsewhere.
 */
class ServiceChainCrdTest {
    private static final Path ROOT = Path.of("..");
    private static final long SEED = 20261203L;
    private static final int ROUNDS = 400;

    private static final JSONSchemaProps SPEC = version().getSchema().getOpenAPIV3Schema().getProperties().get("spec");

    private static CustomResourceDefinitionVersion version() {
        return ServiceChainCrd.definition().getSpec().getVersions().getFirst();
    }

    @Test
    void theShippedFilesAreTheGeneratedOnes() throws IOException {
        Map<Path, String> files = new LinkedHashMap<>();
        files.put(ROOT.resolve("deploy/operator/crd.yaml"), ServiceChainCrd.yaml());
        files.put(ROOT.resolve("deploy/helm/astaire/crds/servicechains.astaire.io.yaml"), ServiceChainCrd.yaml());
        files.put(ROOT.resolve("deploy/operator/install.yaml"), OperatorManifests.yaml("astaire", RenderOptions.DEFAULT_IMAGE));
        files.put(ROOT.resolve("deploy/operator/webhook.yaml"), OperatorManifests.webhookYaml("astaire", RenderOptions.DEFAULT_IMAGE));
        for (Map.Entry<Path, String> f : files.entrySet()) {
            if (Boolean.getBoolean("astaire.regenerate")) {
                Files.createDirectories(f.getKey().getParent());
                Files.writeString(f.getKey(), f.getValue());
            }
            assertThat(f.getKey()).as(f.getKey() + " (regenerate: -Dastaire.regenerate=true)").hasContent(f.getValue());
        }
    }

    @Test
    void theRoleLetsTheOperatorApplyWatchAndPruneEveryKindAChainRenders() {
        List<PolicyRule> rules = OperatorManifests.rules();
        for (Class<? extends HasMetadata> kind : ChainObjects.KINDS) {
            String group = HasMetadata.getGroup(kind);
            String plural = HasMetadata.getPlural(kind);
            assertThat(rules).as(group + "/" + plural).anySatisfy(rule -> {
                assertThat(rule.getApiGroups()).contains(group);
                assertThat(rule.getResources()).contains(plural);
                // apply is a patch that may create; prune lists by label and deletes
                assertThat(rule.getVerbs()).contains("get", "list", "create", "patch", "delete");
            });
        }
    }

    @Test
    void theVersionHasAStatusSubresourceAndPrinterColumns() {
        CustomResourceDefinitionVersion v = version();
        assertThat(v.getSubresources().getStatus()).isNotNull();
        assertThat(v.getAdditionalPrinterColumns()).extracting(c -> c.getName()).containsExactly("Chains", "Functions", "Ready", "Reason", "Age");
        JSONSchemaProps status = v.getSchema().getOpenAPIV3Schema().getProperties().get("status");
        assertThat(status.getProperties()).containsKeys("observedGeneration", "conditions", "spis");
    }

    /**
     * The API server refuses a CRD whose schema is not structural: every node says its type
     * (or is int-or-string, or keeps unknown fields), junctors carry no types, and the keys of a
     * map list are required scalars of its items.
     */
    @Test
    void theSchemaIsStructural() {
        structural(version().getSchema().getOpenAPIV3Schema(), "openAPIV3Schema");
    }

    private static void structural(JSONSchemaProps s, String at) {
        boolean typed = s.getType() != null || Boolean.TRUE.equals(s.getXKubernetesIntOrString())
                || Boolean.TRUE.equals(s.getXKubernetesPreserveUnknownFields());
        assertThat(typed).as(at + " has no type").isTrue();
        for (List<JSONSchemaProps> junctor : java.util.Arrays.asList(s.getAnyOf(), s.getAllOf(), s.getOneOf())) {
            if (junctor != null) {
                assertThat(junctor).as(at + ": no types inside junctors").allSatisfy(j -> assertThat(j.getType()).isNull());
            }
        }
        if (s.getProperties() != null) {
            s.getProperties().forEach((name, p) -> structural(p, at + "." + name));
        }
        if (s.getItems() != null) {
            JSONSchemaProps item = s.getItems().getSchema();
            structural(item, at + "[]");
            if ("map".equals(s.getXKubernetesListType())) {
                for (String key : s.getXKubernetesListMapKeys()) {
                    assertThat(item.getRequired()).as(at + ": map key " + key + " is required").contains(key);
                    assertThat(item.getProperties().get(key).getType()).as(at + ": map key " + key + " is a scalar").isIn("string", "integer");
                }
            }
        }
        if (s.getAdditionalProperties() != null && s.getAdditionalProperties().getSchema() != null) {
            structural(s.getAdditionalProperties().getSchema(), at + ".*");
        }
    }

    @Test
    void everyFieldOfTheModelHasItsProperty() {
        assertThat(SPEC.getProperties().keySet()).isEqualTo(fields(Topology.class, Set.of()));
        assertThat(props("functions").keySet()).isEqualTo(withPort(fields(FunctionSpec.class, Set.of("address"))));
        assertThat(props("chains").keySet()).isEqualTo(fields(ChainSpec.class, Set.of()));
        assertThat(props("rules").keySet()).isEqualTo(fields(RuleSpec.class, Set.of()));
        assertThat(SPEC.getProperties().get("egress").getProperties().keySet()).containsExactly("port");
    }

    private static Map<String, JSONSchemaProps> props(String list) {
        return SPEC.getProperties().get(list).getItems().getSchema().getProperties();
    }

    private static Set<String> fields(Class<? extends Record> type, Set<String> except) {
        return Arrays.stream(type.getRecordComponents()).map(RecordComponent::getName).filter(n -> !except.contains(n))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static Set<String> withPort(Set<String> s) {
        s.add("port");
        return s;
    }

    @Test
    void theExampleIsValidForBoth() {
        Map<String, Object> spec = spec();
        assertThat(SchemaCheck.check(SPEC, spec)).isEmpty();
        assertThat(model(spec)).isEmpty();
    }

    /** A mutation of the valid spec, and whether the schema must agree both ways or only refuse less. */
    private record Edit(String what, BiConsumer<Map<String, Object>, Random> apply, boolean exact) {}

    @Test
    void seededRandomEditsAreRefusedByTheSchemaExactlyWhenTheModelRefusesThem() {
        List<Edit> edits = List.of(
                new Edit("functions[0].name", (s, r) -> {
                    String n = randomName(r);
                    at(s, "functions", 0).put("name", n);
                    ((List<Object>) at(s, "chains", 0).get("functions")).set(0, n);
                }, true),
                new Edit("chains[0].name", (s, r) -> {
                    String n = randomName(r);
                    at(s, "chains", 0).put("name", n);
                    at(s, "rules", 0).put("chain", n);
                }, true),
                new Edit("rules[0].name", (s, r) -> at(s, "rules", 0).put("name", randomName(r)), true),
                new Edit("chains[0].spi", (s, r) -> at(s, "chains", 0).put("spi", around(r, 0, ChainSpec.MAX_FORWARD_SPI)), true),
                new Edit("functions[1].replicas", (s, r) -> at(s, "functions", 1).put("replicas", r.nextInt(-3, 6)), true),
                new Edit("functions[0].port", (s, r) -> at(s, "functions", 0).put("port", around(r, 0, 65535)), true),
                new Edit("egress.port", (s, r) -> ((Map<String, Object>) s.get("egress")).put("port", around(r, 0, 65535)), true),
                new Edit("rules[0].protocol", (s, r) -> {
                    at(s, "rules", 0).remove("destinationPorts");
                    at(s, "rules", 0).put("protocol", randomProtocol(r));
                }, true),
                new Edit("chains[0].functions (count)", (s, r) -> {
                    List<Object> fns = new ArrayList<>();
                    int n = r.nextInt(0, 3) == 0 ? r.nextInt(250, 260) : r.nextInt(0, 4);
                    for (int i = 0; i < n; i++) {
                        fns.add(i % 2 == 0 ? "acl" : "count");
                    }
                    at(s, "chains", 0).put("functions", fns);
                }, true),
                new Edit("a required field removed", (s, r) -> {
                    String[][] required = {{"functions", "name"}, {"functions", "kind"}, {"chains", "name"}, {"chains", "functions"},
                            {"rules", "name"}, {"rules", "chain"}};
                    String[] f = required[r.nextInt(required.length)];
                    at(s, f[0], 0).remove(f[1]);
                }, true),
                new Edit("an unknown field", (s, r) -> at(s, List.of("functions", "chains", "rules").get(r.nextInt(3)), 0)
                        .put(List.of("colour", "adress", "replica", "spi2").get(r.nextInt(4)), "x"), true),
                new Edit("a duplicate function", (s, r) -> ((List<Object>) s.get("functions")).add(new LinkedHashMap<>(at(s, "functions", 0))), true),
                new Edit("rules[0].destinationPorts", (s, r) -> at(s, "rules", 0).put("destinationPorts", randomPorts(r)), false),
                new Edit("rules[0].source", (s, r) -> at(s, "rules", 0).put("source", List.of("10.0.0.0/8", "10.0.0.1", "300.1.1.1/8",
                        "10.0.0.0/33", "fe80::/10", "host.example", "").get(r.nextInt(7))), false));
        Random random = new Random(SEED);
        int refused = 0;
        for (int round = 0; round < ROUNDS; round++) {
            Edit edit = edits.get(random.nextInt(edits.size()));
            Map<String, Object> spec = spec();
            edit.apply().accept(spec, random);
            Optional<String> schema = SchemaCheck.check(SPEC, spec);
            Optional<String> model = model(spec);
            String context = "round " + round + ", " + edit.what() + ": " + spec + "\nschema: " + schema + "\nmodel: " + model;
            if (schema.isPresent()) {
                refused++;
                assertThat(model).as("the schema refuses what the model accepts: " + context).isPresent();
            } else if (edit.exact()) {
                assertThat(model).as("the model refuses what the schema accepts: " + context).isEmpty();
            }
        }
        // The seed is fixed: both verdicts occurred, so the comparison covered both sides.
        assertThat(refused).isBetween(ROUNDS / 10, ROUNDS * 9 / 10);
    }

    private static Map<String, Object> spec() {
        try {
            Map<String, Object> doc = TopologyCodec.yamlMapper().readValue(Chains.web("ns"), new TypeReference<>() {});
            return (Map<String, Object>) doc.get("spec");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Optional<String> model(Map<String, Object> spec) {
        GenericKubernetesResource r = new GenericKubernetesResource();
        r.setAdditionalProperty("spec", spec);
        try {
            ChainResource.topology(r);
            return Optional.empty();
        } catch (ModelException e) {
            return Optional.of(e.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> at(Map<String, Object> spec, String list, int index) {
        return (Map<String, Object>) ((List<Object>) spec.get(list)).get(index);
    }

    private static String randomName(Random r) {
        String alphabet = "abcz09-_A.";
        int length = switch (r.nextInt(4)) {
            case 0 -> r.nextInt(0, 3);
            case 1 -> r.nextInt(60, 67);
            default -> r.nextInt(3, 12);
        };
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++) {
            // Mostly valid characters, so that valid names occur too.
            sb.append(r.nextInt(5) == 0 ? alphabet.charAt(r.nextInt(alphabet.length())) : "abc-09".charAt(r.nextInt(6)));
        }
        return sb.toString();
    }

    /** Values at and around the ends of {@code min+1..max}, and some in between. */
    private static long around(Random r, int min, int max) {
        return switch (r.nextInt(3)) {
            case 0 -> min + r.nextInt(-2, 3);
            case 1 -> max + r.nextInt(-2, 3);
            default -> r.nextInt(min, max);
        };
    }

    private static Object randomProtocol(Random r) {
        List<Protocol> named = Protocol.named();
        String label = named.get(r.nextInt(named.size())).label();
        return switch (r.nextInt(5)) {
            case 0 -> label;
            case 1 -> r.nextBoolean() ? label.toUpperCase(Locale.ROOT) : label.substring(0, 1).toUpperCase(Locale.ROOT) + label.substring(1);
            case 2 -> r.nextInt(-3, 300);
            case 3 -> Integer.toString(r.nextInt(0, 300));
            default -> List.of("tcpp", "ip", "udp6", "-1", "1e2").get(r.nextInt(5));
        };
    }

    private static Object randomPorts(Random r) {
        return switch (r.nextInt(4)) {
            case 0 -> r.nextInt(-2, 70000);
            case 1 -> r.nextInt(0, 70000) + "-" + r.nextInt(0, 70000);
            case 2 -> Integer.toString(r.nextInt(0, 70000));
            default -> List.of("http", "80-", "1-2-3", "").get(r.nextInt(4));
        };
    }
}
