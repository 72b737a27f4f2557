package dev.palisade.web.quota;

import dev.palisade.model.quota.QuotaLimits;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

/**
 * A tenant's quota in the units an operator thinks in: seconds and MiB. Stored in milliseconds
 * and bytes.
 */
class QuotaForm {

    private static final long MIB = 1024L * 1024;

    @NotNull @Min(0) @Max(10_000)
    private Integer maxConcurrentWorkloads;
    @NotNull @Min(1) @Max(86_400)
    private Long maxCpuSeconds;
    @NotNull @Min(1) @Max(604_800)
    private Long maxWallSeconds;
    @NotNull @Min(1) @Max(1_048_576)
    private Long maxMemoryMib;
    @NotNull @Min(1) @Max(100_000)
    private Integer maxProcesses;
    @NotNull @Min(1) @Max(1_048_576)
    private Long maxOutputMib;
    @NotNull @Min(0) @Max(1_000_000_000)
    private Long cpuSecondsPerMonth;
    @NotNull @Min(0) @Max(1_073_741_824)
    private Long storageMib;

    static QuotaForm of(QuotaLimits l) {
        QuotaForm f = new QuotaForm();
        f.maxConcurrentWorkloads = l.maxConcurrentWorkloads();
        f.maxCpuSeconds = Math.max(1, l.maxCpuMillis() / 1000);
        f.maxWallSeconds = Math.max(1, l.maxWallMillis() / 1000);
        f.maxMemoryMib = Math.max(1, l.maxMemoryBytes() / MIB);
        f.maxProcesses = l.maxProcesses();
        f.maxOutputMib = Math.max(1, l.maxOutputBytes() / MIB);
        f.cpuSecondsPerMonth = l.cpuSecondsPerMonth();
        f.storageMib = l.storageBytes() / MIB;
        return f;
    }

    QuotaLimits toLimits() {
        return new QuotaLimits(maxConcurrentWorkloads, maxCpuSeconds * 1000, maxWallSeconds * 1000,
                maxMemoryMib * MIB, maxProcesses, maxOutputMib * MIB, cpuSecondsPerMonth, storageMib * MIB);
    }

    public Integer getMaxConcurrentWorkloads() { return maxConcurrentWorkloads; }
    public void setMaxConcurrentWorkloads(Integer v) { maxConcurrentWorkloads = v; }
    public Long getMaxCpuSeconds() { return maxCpuSeconds; }
    public void setMaxCpuSeconds(Long v) { maxCpuSeconds = v; }
    public Long getMaxWallSeconds() { return maxWallSeconds; }
    public void setMaxWallSeconds(Long v) { maxWallSeconds = v; }
    public Long getMaxMemoryMib() { return maxMemoryMib; }
    public void setMaxMemoryMib(Long v) { maxMemoryMib = v; }
    public Integer getMaxProcesses() { return maxProcesses; }
    public void setMaxProcesses(Integer v) { maxProcesses = v; }
    public Long getMaxOutputMib() { return maxOutputMib; }
    public void setMaxOutputMib(Long v) { maxOutputMib = v; }
    public Long getCpuSecondsPerMonth() { return cpuSecondsPerMonth; }
    public void setCpuSecondsPerMonth(Long v) { cpuSecondsPerMonth = v; }
    public Long getStorageMib() { return storageMib; }
    public void setStorageMib(Long v) { storageMib = v; }
}
