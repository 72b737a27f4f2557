package dev.palisade.platform.api;

import dev.palisade.model.ConflictException;
import dev.palisade.model.workload.AdmissionException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.ErrorResponseException;

/** The API's own error answers, all RFC 9457 problems. */
public final class ApiProblems {

    private ApiProblems() {
    }

    /** A problem as one line for a person (the portal's message): its field errors when it has them, else its detail. */
    public static String detail(ProblemDetail p) {
        Object errors = p.getProperties() == null ? null : p.getProperties().get("errors");
        return errors != null ? String.valueOf(errors) : String.valueOf(p.getDetail());
    }

    /**
     * Runs an API operation for a portal page and returns its answer; a refusal (a problem thrown
     * or answered, a conflict) becomes what {@code refused} makes of it as one line for a person.
     * A conflict the tenant cannot see (another tenant's name) keeps reading as not found.
     */
    public static <T> T forPortal(Supplier<T> call, Function<String, ? extends RuntimeException> refused) {
        T answer;
        try {
            answer = call.get();
        } catch (ErrorResponseException e) {
            throw refused.apply(detail(e.getBody()));
        } catch (ConflictException e) {
            throw refused.apply(e.getMessage());
        }
        if (answer instanceof ResponseEntity<?> r && r.getBody() instanceof ProblemDetail problem) {
            throw refused.apply(problem.getDetail());
        }
        return answer;
    }

    public static ErrorResponseException notFound(String detail) {
        return new ErrorResponseException(HttpStatus.NOT_FOUND, problem(HttpStatus.NOT_FOUND, detail), null);
    }

    public static ErrorResponseException forbidden(String detail) {
        return new ErrorResponseException(HttpStatus.FORBIDDEN, problem(HttpStatus.FORBIDDEN, detail), null);
    }

    /** A bad request naming the field at fault, in the same shape as bean-validation errors. */
    public static ErrorResponseException badRequest(String field, String message) {
        ProblemDetail problem = invalid(List.of(fieldError(field, message)));
        return new ErrorResponseException(HttpStatus.BAD_REQUEST, problem, null);
    }

    /**
     * A submit or start refused at admission: 429 when waiting may help, else 422, naming the
     * limit, the quota and the usage; {@code extra} properties are added as they are.
     */
    public static ResponseEntity<ProblemDetail> overQuota(AdmissionException refusal, Map<String, Object> extra) {
        HttpStatus status = refusal.retryable() ? HttpStatus.TOO_MANY_REQUESTS : HttpStatus.UNPROCESSABLE_CONTENT;
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, refusal.getMessage());
        problem.setTitle("Over quota");
        problem.setType(URI.create("urn:palisade:problem:quota"));
        problem.setProperty("limit", refusal.limit());
        problem.setProperty("quota", refusal.quota());
        problem.setProperty("usage", refusal.usage());
        extra.forEach(problem::setProperty);
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
    }

    static ProblemDetail problem(HttpStatus status, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setTitle(status.getReasonPhrase());
        return problem;
    }

    static ProblemDetail invalid(List<Map<String, String>> errors) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, "Invalid "
                + String.join(", ", errors.stream().map(e -> e.get("field")).distinct().toList()));
        problem.setTitle("Invalid request");
        problem.setProperty("errors", errors);
        return problem;
    }

    static Map<String, String> fieldError(String field, String message) {
        return Map.of("field", field, "message", message == null ? "is invalid" : message);
    }
}
