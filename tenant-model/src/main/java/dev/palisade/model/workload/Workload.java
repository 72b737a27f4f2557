package dev.palisade.model.workload;

import dev.palisade.model.tenant.Tenant;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;
import org.hibernate.annotations.ColumnTransformer;

/**
 * A tenant program run in the sandbox. The execution issue fills this table; the JSON columns
 * (command, env, limits, result) are kept as JSON text here and cast to jsonb on write.
 */
@Entity
@Table(name = "workload")
public class Workload {

    @Id
    private UUID id;

    @ManyToOne(fetch = FetchType.LAZY, optional = false)
    @JoinColumn(name = "tenant_id", nullable = false, updatable = false)
    private Tenant tenant;

    @Column(nullable = false)
    private String name;

    @Column(nullable = false)
    private String image;

    @Column(nullable = false, columnDefinition = "jsonb")
    @ColumnTransformer(write = "?::jsonb")
    private String command;

    @Column(nullable = false, columnDefinition = "jsonb")
    @ColumnTransformer(write = "?::jsonb")
    private String env;

    @Column(nullable = false)
    private String platform;

    /** The network policy as submitted; null: the kind's default. */
    @Column
    private String network;

    @Column(nullable = false, columnDefinition = "jsonb")
    @ColumnTransformer(write = "?::jsonb")
    private String limits;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    private WorkloadState state = WorkloadState.QUEUED;

    @Column(name = "exit_code")
    private Integer exitCode;

    @Column(name = "termination_reason")
    private String terminationReason;

    @Column(name = "cpu_millis")
    private Long cpuMillis;

    @Column(name = "wall_millis")
    private Long wallMillis;

    @Column(name = "peak_memory_bytes")
    private Long peakMemoryBytes;

    private String node;

    @Column(name = "lease_expires_at")
    private Instant leaseExpiresAt;

    @Column(nullable = false)
    private int attempts;

    @Column(name = "created_at", nullable = false, updatable = false)
    private Instant createdAt;

    @Column(name = "started_at")
    private Instant startedAt;

    @Column(name = "finished_at")
    private Instant finishedAt;

    @Column(columnDefinition = "jsonb")
    @ColumnTransformer(write = "?::jsonb")
    private String result;

    @Column(name = "cancel_requested", nullable = false)
    private boolean cancelRequested;

    @Column(name = "max_attempts", nullable = false)
    private int maxAttempts = 1;

    private String message;

    @Column(name = "input_bytes", nullable = false)
    private long inputBytes;

    @Column(name = "log_bytes", nullable = false)
    private long logBytes;

    @Column(name = "artifact_bytes", nullable = false)
    private long artifactBytes;

    /** JOB or SERVICE; set by the database default and by a service's deployment, never by this entity. */
    @Column(insertable = false, updatable = false)
    private String kind;

    protected Workload() {
    }

    public String getKind() {
        return kind == null ? "JOB" : kind;
    }

    public Workload(Tenant tenant, String name, String image, String commandJson, String envJson,
            String platform, String limitsJson) {
        this.id = UUID.randomUUID();
        this.tenant = tenant;
        this.name = name;
        this.image = image;
        this.command = commandJson;
        this.env = envJson;
        this.platform = platform;
        this.limits = limitsJson;
        this.createdAt = Instant.now();
    }

    /** Moves along the state machine; an illegal move is a bug in the caller. */
    public void moveTo(WorkloadState next) {
        if (!state.canMoveTo(next)) {
            throw new IllegalStateException("workload " + id + " cannot go from " + state + " to " + next);
        }
        state = next;
        Instant now = Instant.now();
        if (next == WorkloadState.RUNNING) {
            startedAt = now;
            attempts++;
        } else if (next.isTerminal()) {
            finishedAt = now;
            leaseExpiresAt = null;
        }
    }

    /** Refused at admission: stored as REJECTED with the reason, never run. */
    public void reject(String why) {
        state = WorkloadState.REJECTED;
        terminationReason = "rejected";
        message = why.length() > 500 ? why.substring(0, 500) : why;
        finishedAt = createdAt;
    }

    public void setMaxAttempts(int maxAttempts) {
        this.maxAttempts = maxAttempts;
    }

    public void setInputBytes(long inputBytes) {
        this.inputBytes = inputBytes;
    }

    public boolean isCancelRequested() {
        return cancelRequested;
    }

    public int getMaxAttempts() {
        return maxAttempts;
    }

    public String getMessage() {
        return message;
    }

    public long getInputBytes() {
        return inputBytes;
    }

    public long getLogBytes() {
        return logBytes;
    }

    public long getArtifactBytes() {
        return artifactBytes;
    }

    public UUID getId() {
        return id;
    }

    public Tenant getTenant() {
        return tenant;
    }

    public String getName() {
        return name;
    }

    public String getImage() {
        return image;
    }

    public String getCommand() {
        return command;
    }

    public String getEnv() {
        return env;
    }

    public String getNetwork() {
        return network;
    }

    public void setNetwork(String network) {
        this.network = network;
    }

    public String getPlatform() {
        return platform;
    }

    public String getLimits() {
        return limits;
    }

    public WorkloadState getState() {
        return state;
    }

    public Integer getExitCode() {
        return exitCode;
    }

    public String getTerminationReason() {
        return terminationReason;
    }

    public Long getCpuMillis() {
        return cpuMillis;
    }

    public Long getWallMillis() {
        return wallMillis;
    }

    public Long getPeakMemoryBytes() {
        return peakMemoryBytes;
    }

    public String getNode() {
        return node;
    }

    public Instant getLeaseExpiresAt() {
        return leaseExpiresAt;
    }

    public int getAttempts() {
        return attempts;
    }

    public Instant getCreatedAt() {
        return createdAt;
    }

    public Instant getStartedAt() {
        return startedAt;
    }

    public Instant getFinishedAt() {
        return finishedAt;
    }

    public String getResult() {
        return result;
    }
}
