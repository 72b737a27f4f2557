package dev.palisade.platform.cron;

import com.github.kagkarlsson.scheduler.task.helper.ScheduleAndData;
import com.github.kagkarlsson.scheduler.task.schedule.Schedule;
import com.github.kagkarlsson.scheduler.task.schedule.Schedules;
import java.time.DateTimeException;
import java.time.ZoneId;

/**
 * When a cron job fires, as db-scheduler keeps it with the job's next execution: the expression
 * (six fields, seconds first, as Spring's; five-field Unix expressions are read with second 0)
 * and the time zone it is read in.
 */
record CronTrigger(String cron, String timeZone) implements ScheduleAndData {

    /** Six fields; five-field (Unix, Kubernetes) expressions fire at second 0. Refuses a bad expression or zone. */
    static CronTrigger of(String cron, String timeZone) {
        if (cron == null || cron.isBlank() || cron.length() > 200) {
            throw new IllegalArgumentException("cron: is required, at most 200 characters");
        }
        String expression = cron.trim().split("\\s+").length == 5 ? "0 " + cron.trim() : cron.trim();
        String zone = timeZone == null || timeZone.isBlank() ? "UTC" : timeZone.trim();
        try {
            ZoneId.of(zone);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("timeZone: not a time zone (e.g. UTC, Europe/Berlin)");
        }
        CronTrigger trigger = new CronTrigger(expression, zone);
        try {
            trigger.getSchedule();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cron: not a cron expression (e.g. '0 3 * * *' or '*/10 * * * * *'): "
                    + e.getMessage());
        }
        return trigger;
    }

    @Override
    public Schedule getSchedule() {
        return Schedules.cron(cron, ZoneId.of(timeZone));
    }

    @Override
    public Object getData() {
        return null;
    }
}
