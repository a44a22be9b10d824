package io.astaire.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class NodeTokenTest {
    private static final String SECRET = "0123456789abcdef0123456789abcdef";

    @Test
    void aTokenIsValidForItsOwnNameOnly() {
        String a = NodeToken.derive(SECRET, "sf-a");
        assertThat(NodeToken.verify(SECRET, "sf-a", a)).isTrue();
        assertThat(NodeToken.verify(SECRET, "sf-b", a)).isFalse();
        assertThat(NodeToken.verify("another-secret", "sf-a", a)).isFalse();
        assertThat(NodeToken.verify(SECRET, "sf-a", null)).isFalse();
    }

    @Test
    void aNodeSendsItsBoundTokenOrDerivesItFromTheSecret() {
        String bound = NodeToken.bound(SECRET, "sf-a");
        assertThat(NodeToken.bearerFor(bound, "sf-a")).isEqualTo(NodeToken.derive(SECRET, "sf-a"));
        assertThat(NodeToken.bearerFor(SECRET, "sf-b")).isEqualTo(NodeToken.derive(SECRET, "sf-b"));
        assertThatThrownBy(() -> NodeToken.bearerFor(bound, "sf-b")).hasMessageContaining("bound to node 'sf-a'");
    }
}
