package dev.palisade.model.workload;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;

class WorkloadStateTests {

    @Test
    void followsTheDocumentedLifecycle() {
        assertThat(WorkloadState.QUEUED.canMoveTo(WorkloadState.RUNNING)).isTrue();
        for (WorkloadState end : EnumSet.of(WorkloadState.SUCCEEDED, WorkloadState.FAILED,
                WorkloadState.CANCELLED, WorkloadState.TIMED_OUT)) {
            assertThat(WorkloadState.RUNNING.canMoveTo(end)).as("RUNNING -> %s", end).isTrue();
        }
        assertThat(WorkloadState.QUEUED.canMoveTo(WorkloadState.SUCCEEDED)).isFalse();
    }

    @Test
    void terminalStatesAreFinal() {
        for (WorkloadState from : WorkloadState.values()) {
            if (from.isTerminal()) {
                for (WorkloadState to : WorkloadState.values()) {
                    assertThat(from.canMoveTo(to)).as("%s -> %s", from, to).isFalse();
                }
            }
        }
        assertThat(EnumSet.allOf(WorkloadState.class).stream().filter(WorkloadState::isTerminal))
                .containsExactlyInAnyOrder(WorkloadState.SUCCEEDED, WorkloadState.FAILED,
                        WorkloadState.CANCELLED, WorkloadState.TIMED_OUT, WorkloadState.REJECTED);
    }
}
