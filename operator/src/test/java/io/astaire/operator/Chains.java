package io.astaire.operator;

/** ServiceChain manifests for the tests, as a user writes them for kubectl apply. */
final class Chains {
    private Chains() {}

    /** What {@code operator} serves for ServiceChain {@code name}: its topology, or an empty one while it serves none of that name. */
    static io.astaire.model.Topology served(Operator operator, String name) {
        io.astaire.controller.Registry r = operator.registry(name);
        return r == null ? new io.astaire.model.Topology(null, null, null, null, null, null) : r.state().topology();
    }

    /** Two functions, one three times, on one symmetric chain with an ACL. */
    static String web(String namespace) {
        return """
                apiVersion: astaire.io/v1alpha1
                kind: ServiceChain
                metadata: {name: web, namespace: %s}
                spec:
                  functions:
                  - name: acl
                    kind: acl
                    port: 4791
                    config: {default: allow}
                  - {name: count, kind: counter, port: 4792, replicas: 3}
                  chains:
                  - {name: web, spi: 10, functions: [acl, count]}
                  rules:
                  - {name: to-servers, priority: 100, protocol: tcp, destination: 10.20.0.0/24, destinationPorts: 1-65535, chain: web}
                  egress: {port: 4794}
                """.formatted(namespace);
    }

    /** {@link #web} after an edit: count removed, nat added, acl scaled to 2. */
    static String webEdited(String namespace) {
        return """
                apiVersion: astaire.io/v1alpha1
                kind: ServiceChain
                metadata: {name: web, namespace: %s}
                spec:
                  functions:
                  - name: acl
                    kind: acl
                    port: 4791
                    replicas: 2
                    config: {default: allow}
                  - {name: nat, kind: passthrough, port: 4793}
                  chains:
                  - {name: web, spi: 10, functions: [acl, nat]}
                  egress: {port: 4794}
                """.formatted(namespace);
    }
}
