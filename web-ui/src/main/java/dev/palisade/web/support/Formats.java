package dev.palisade.web.support;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.springframework.stereotype.Component;

/**
 * How the pages write times, durations and sizes; templates call it as {@code @fmt}. Times are
 * UTC, as in the logs and the API, and say so.
 */
@Component("fmt")
public class Formats {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    public String time(Instant instant) {
        return instant == null ? "—" : TIME.format(instant);
    }

    /** 850 ms, 12.3 s, 4 min 05 s, 2 h 03 min. */
    public String millis(Long millis) {
        if (millis == null) {
            return "—";
        }
        if (millis < 1000) {
            return millis + " ms";
        }
        if (millis < 60_000) {
            return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
        }
        Duration d = Duration.ofMillis(millis);
        if (d.toHours() == 0) {
            return String.format(Locale.ROOT, "%d min %02d s", d.toMinutesPart(), d.toSecondsPart());
        }
        return String.format(Locale.ROOT, "%d h %02d min", d.toHours(), d.toMinutesPart());
    }

    /** 512 B, 3.4 KiB, 128.0 MiB, 1.0 GiB. */
    public String bytes(Long bytes) {
        if (bytes == null) {
            return "—";
        }
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int i = -1;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[i]);
    }

    public String number(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }
}
