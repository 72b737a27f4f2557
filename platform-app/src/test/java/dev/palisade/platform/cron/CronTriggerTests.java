package dev.palisade.platform.cron;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** A cron job's trigger: what expressions and zones mean, and that it survives db-scheduler's storage. */
class CronTriggerTests {

    @Test
    void aFiveFieldExpressionFiresAtSecondZeroInItsZone() {
        CronTrigger nightly = CronTrigger.of("0 3 * * *", "Europe/Berlin");
        assertThat(nightly.cron()).isEqualTo("0 0 3 * * *");
        // 03:00 in Berlin in winter is 02:00 UTC
        assertThat(nightly.getSchedule().getNextExecutionTime(complete(Instant.parse("2026-12-06T12:00:00Z"))))
                .isEqualTo(Instant.parse("2026-12-07T02:00:00Z"));
        assertThat(CronTrigger.of("*/10 * * * * *", null).timeZone()).isEqualTo("UTC");
    }

    @Test
    void aBadExpressionOrZoneIsRefusedNamingTheField() {
        assertThatThrownBy(() -> CronTrigger.of("every minute", "UTC")).hasMessageStartingWith("cron:");
        assertThatThrownBy(() -> CronTrigger.of("61 * * * *", "UTC")).hasMessageStartingWith("cron:");
        assertThatThrownBy(() -> CronTrigger.of("", "UTC")).hasMessageStartingWith("cron:");
        assertThatThrownBy(() -> CronTrigger.of("* * * * *", "Mars/Olympus")).hasMessageStartingWith("timeZone:");
    }

    @Test
    void itSurvivesJavaSerializationAsDbSchedulerStoresIt() throws Exception {
        CronTrigger trigger = CronTrigger.of("*/5 * * * * *", "Asia/Tokyo");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(trigger);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertThat(in.readObject()).isEqualTo(trigger);
        }
    }

    private static com.github.kagkarlsson.scheduler.task.ExecutionComplete complete(Instant at) {
        return com.github.kagkarlsson.scheduler.task.ExecutionComplete.simulatedSuccess(at);
    }
}
