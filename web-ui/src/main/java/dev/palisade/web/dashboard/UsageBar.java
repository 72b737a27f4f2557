package dev.palisade.web.dashboard;

import dev.palisade.model.quota.QuotaLimits;
import dev.palisade.model.usage.Usage;
import java.util.List;

/** Usage against one quota, drawn as a bar; {@code level} picks its colour (ok, high, full). */
public record UsageBar(String labelKey, long used, long limit, String unitKey) {

    private static final long MIB = 1024L * 1024;

    /** The bars a tenant's usage is shown as, in the portal and on the tenant's page in the console. */
    public static List<UsageBar> of(Usage usage, QuotaLimits limits) {
        return List.of(
                new UsageBar("usage.concurrent", usage.running(), limits.maxConcurrentWorkloads(), "unit.running"),
                new UsageBar("usage.cpu", (usage.cpuMillis() + 999) / 1000, limits.cpuSecondsPerMonth(),
                        "unit.cpuSeconds"),
                new UsageBar("usage.storage", (usage.storedBytes() + MIB - 1) / MIB, limits.storageBytes() / MIB,
                        "unit.mib"));
    }

    public int percent() {
        if (limit <= 0) {
            return used > 0 ? 100 : 0;
        }
        return (int) Math.min(100, Math.round(100.0 * used / limit));
    }

    public String level() {
        int p = percent();
        return p >= 100 ? "full" : p >= 80 ? "high" : "ok";
    }
}
