package dev.palisade.platform.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.workload.NewWorkload;
import dev.palisade.model.workload.WorkloadLimits;
import dev.palisade.model.workload.WorkloadService;
import dev.palisade.platform.OwnDatabaseTests;
import dev.palisade.platform.engine.WorkloadRunner;
import dev.palisade.platform.ops.InternalListener;
import dev.palisade.platform.ops.NodeProperties;
import dev.palisade.platform.ops.WorkloadMetrics;
import dev.palisade.sandbox.SandboxEngine;
import java.util.UUID;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.support.TransactionTemplate;

/** Tests that submit workloads and start workers of their own (real claim loop, real sandbox) on their own database. */
abstract class DispatcherTestSupport extends OwnDatabaseTests {

    @Autowired
    WorkloadStore store;

    @Autowired
    WorkloadService workloads;

    @Autowired
    TransactionTemplate tx;

    @Autowired
    WorkloadRunner runner;

    @Autowired
    SandboxEngine engine;

    @Autowired
    NodeProperties node;

    @Autowired
    WorkloadMetrics metrics;

    @Autowired
    InternalListener internal;

    /** A worker with these properties; the test starts and stops it. */
    Dispatcher dispatcher(DispatcherProperties properties) {
        return new Dispatcher(properties, store, runner, engine, node, metrics, internal);
    }

    /** Queues a workload of the tenant (it must be admitted). */
    UUID submit(Tenant tenant, String name, String command, String platform, WorkloadLimits limits) {
        NewWorkload w = new NewWorkload(name, "host", command, "{}", platform, limits, 1);
        var admitted = tx.execute(s -> workloads.submit("test", tenant, w, 0, 100));
        assertThat(admitted.refusal()).isNull();
        return admitted.workload().getId();
    }
}
