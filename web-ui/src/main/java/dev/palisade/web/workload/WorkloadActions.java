package dev.palisade.web.workload;

import dev.palisade.model.tenant.Tenant;
import dev.palisade.web.support.FieldRefusal;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What the portal asks of the platform's workload machinery: submitting (validation, admission,
 * storing the input, waking a worker) and cancelling. The platform application implements it;
 * the pages only depend on this.
 */
public interface WorkloadActions {

    /** A workload as the submit form describes it; null limits take the tenant's quota. */
    record Submission(String name, String image, List<String> command, Map<String, String> env, String platform,
            Long cpuMillis, Long wallMillis, Long memoryBytes, Integer maxProcesses, byte[] input) {
    }

    /** The stored workload, and why admission refused it (null when it was queued). */
    record Submitted(UUID id, String refusal) {
    }

    /** The platform refused the submission as invalid; {@code field} names the part at fault. */
    class InvalidSubmission extends FieldRefusal {
        public InvalidSubmission(String field, String message) {
            super(field, message);
        }
    }

    Submitted submit(String actor, Tenant tenant, Submission submission);

    /** Cancels a queued or running workload of the tenant; false when it had already ended. */
    boolean cancel(String actor, Tenant tenant, UUID id);

    /** Names of the images a workload may run on. */
    List<String> images();
}
