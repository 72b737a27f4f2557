package dev.palisade.platform.notify;

import java.util.Arrays;
import java.util.List;

/** The events a webhook may subscribe to; the database triggers of V43_2 and V55_1 write them by these names. */
enum EventType {
    WORKLOAD_FINISHED("workload.finished"),
    WORKLOAD_FAILED("workload.failed"),
    WORKLOAD_TIMED_OUT("workload.timed_out"),
    SERVICE_UNHEALTHY("service.unhealthy"),
    SERVICE_CRASH_LOOP("service.crash_loop"),
    SERVICE_RECOVERED("service.recovered"),
    QUOTA_NEARLY_USED("quota.nearly_used"),
    DATABASE_READ_ONLY("database.read_only"),
    DATABASE_WRITABLE("database.writable");

    /** The test event, sent on request to one webhook whatever it subscribes to. */
    static final String PING = "ping";

    final String wire;

    EventType(String wire) {
        this.wire = wire;
    }

    static List<String> names() {
        return Arrays.stream(values()).map(e -> e.wire).toList();
    }
}
