package io.astaire.k8s;

import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;

/** Chain specs the tests render. */
final class Chains {
    private Chains() {}

    /** Three functions, one of them scaled out, a symmetric chain, rules. */
    static final String WEB = """
            functions:
              - name: acl
                kind: acl
                address: 127.0.0.1:4791
                config:
                  default: allow
                  rules:
                    - action: deny
                      protocol: tcp
                      destinationPorts: 23
              - name: count
                kind: counter
                address: 127.0.0.1:4792
                replicas: 3
              - name: nat
                kind: passthrough
                address: 127.0.0.1:4793
                replicas: 2
            chains:
              - name: web
                spi: 10
                functions: [acl, count, nat]
            rules:
              - name: to-servers
                priority: 100
                protocol: tcp
                destination: 10.20.0.0/24
                chain: web
            ingress:
              address: 127.0.0.1:4790
            egress:
              address: 127.0.0.1:4794
            """;

    static Topology web() {
        return TopologyCodec.parse(WEB);
    }
}
