package dev.palisade.platform.workload;

import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.workload.WorkloadService;
import dev.palisade.model.workload.WorkloadService.Admitted;
import dev.palisade.web.workload.WorkloadActions;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.http.ProblemDetail;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.web.ErrorResponseException;

/**
 * The portal's submit and cancel (web-ui's {@link WorkloadActions}), done exactly as the REST
 * API does them: the same validation, admission, input handling, audit and cancel path.
 */
@Component
class ConsoleWorkloadActions implements WorkloadActions {

    private final WorkloadSubmissions submissions;
    private final WorkloadService workloads;
    private final WorkloadCancels cancels;
    private final JdbcClient jdbc;

    ConsoleWorkloadActions(WorkloadSubmissions submissions, WorkloadService workloads, WorkloadCancels cancels,
            JdbcClient jdbc) {
        this.submissions = submissions;
        this.workloads = workloads;
        this.cancels = cancels;
        this.jdbc = jdbc;
    }

    @Override
    public Submitted submit(String actor, Tenant tenant, Submission s) {
        WorkloadSubmissions.Spec spec = new WorkloadSubmissions.Spec(s.name(), s.image(), s.command(), s.env(),
                s.platform(), new WorkloadSubmissions.Limits(s.cpuMillis(), s.wallMillis(), s.memoryBytes(),
                        s.maxProcesses(), null), null);
        try {
            Admitted admitted = submissions.submit(actor, tenant, spec, s.input());
            return new Submitted(admitted.workload().getId(),
                    admitted.refusal() == null ? null : admitted.refusal().getMessage());
        } catch (ErrorResponseException invalid) {
            throw asInvalid(invalid);
        }
    }

    @Override
    public boolean cancel(String actor, Tenant tenant, UUID id) {
        workloads.get(tenant, id);
        return cancels.cancel(actor, tenant, id);
    }

    @Override
    public List<String> images() {
        return jdbc.sql("select name from image order by kind, name").query(String.class).list();
    }

    /** ApiProblems.badRequest(field, message) carries the field in the problem's errors. */
    @SuppressWarnings("unchecked")
    private static InvalidSubmission asInvalid(ErrorResponseException e) {
        ProblemDetail problem = e.getBody();
        String field = null;
        String message = problem.getDetail();
        Object errors = problem.getProperties() == null ? null : problem.getProperties().get("errors");
        if (errors instanceof List<?> list && !list.isEmpty() && list.get(0) instanceof Map<?, ?> first) {
            field = String.valueOf(((Map<String, Object>) first).get("field"));
            Object m = ((Map<String, Object>) first).get("message");
            message = m == null ? message : String.valueOf(m);
        }
        return new InvalidSubmission(field, message == null ? "invalid submission" : message);
    }
}
