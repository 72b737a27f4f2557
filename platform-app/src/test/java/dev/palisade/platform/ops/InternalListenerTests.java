package dev.palisade.platform.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** When an instance opens the internal listener, and which node secrets it takes. */
class InternalListenerTests {

    private static final String SECRET = "0123456789abcdef0123";

    private static NodeProperties node(NodeRole role, String secret, boolean migrate) {
        return new NodeProperties(role, migrate, secret, 0, "127.0.0.1", null);
    }

    @Test
    void rolesSplitWithoutASecretRefuseToStartSayingWhatIsMissing() {
        for (NodeRole role : new NodeRole[] {NodeRole.API, NodeRole.WORKER}) {
            assertThatThrownBy(() -> new InternalListener(node(role, null, false)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("palisade.node.internal-secret").hasMessageContaining(role.name().toLowerCase());
            assertThatThrownBy(() -> new InternalListener(node(role, "", false))).isInstanceOf(IllegalStateException.class);
        }
        // the migration run forwards nothing
        assertThat(new InternalListener(node(NodeRole.API, null, true)).enabled()).isFalse();
    }

    @Test
    void aShortSecretIsRefusedAndTheMessageDoesNotRepeatIt() {
        assertThatThrownBy(() -> new InternalListener(node(NodeRole.WORKER, "CHANGE-ME", false)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("too short").hasMessageNotContaining("CHANGE-ME");
    }

    @Test
    void onlyANodeThatRunsWorkloadsWithASecretOpensTheListener() {
        assertThat(new InternalListener(node(NodeRole.WORKER, SECRET, false)).enabled()).isTrue();
        assertThat(new InternalListener(node(NodeRole.ALL, SECRET, false)).enabled()).isTrue();
        assertThat(new InternalListener(node(NodeRole.API, SECRET, false)).enabled()).isFalse();
        InternalListener single = new InternalListener(node(NodeRole.ALL, null, false));
        assertThat(single.enabled()).isFalse();
        assertThat(single.routesAcrossNodes()).isFalse();
        assertThat(single.address()).isEmpty();
        assertThat(single.secretMatches("")).isFalse();
        assertThat(single.secretMatches(null)).isFalse();
    }

    @Test
    void onlyTheExactSecretMatches() {
        InternalListener l = new InternalListener(node(NodeRole.WORKER, SECRET, false));
        assertThat(l.secretMatches(SECRET)).isTrue();
        assertThat(l.secretMatches(null)).isFalse();
        assertThat(l.secretMatches("")).isFalse();
        assertThat(l.secretMatches(SECRET + "0")).isFalse();
        assertThat(l.secretMatches(SECRET.substring(1))).isFalse();
        assertThat(l.secretMatches(SECRET.toUpperCase())).isFalse();
        assertThat(node(NodeRole.WORKER, SECRET, false).toString()).doesNotContain(SECRET);
    }
}
