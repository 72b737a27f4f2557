package dev.palisade.web.dashboard;

/** Usage against one quota, drawn as a bar; {@code level} picks its colour (ok, high, full). */
public record UsageBar(String labelKey, long used, long limit, String unitKey) {

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
