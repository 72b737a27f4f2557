package dev.palisade.web.dashboard;

import java.time.LocalDate;
import java.util.List;

/**
 * A bar chart of the last days, laid out for an inline SVG on the server: no script and no chart
 * library. Each day has two bars, workloads (left) and CPU seconds (right), each scaled to its
 * own maximum; the numbers themselves are in the bars' titles and in the table under the chart.
 */
public record DayBars(List<Day> days, long maxWorkloads, long maxCpuSeconds) {

    public boolean isEmpty() {
        return maxWorkloads == 0 && maxCpuSeconds == 0;
    }

    public static final int WIDTH = 560;
    public static final int HEIGHT = 160;
    static final int BASE = 140;
    static final int PLOT = 120;

    public record Day(LocalDate date, long workloads, long cpuSeconds, int x, int workloadsY, int workloadsHeight,
            int cpuY, int cpuHeight, int labelX) {
    }

    static DayBars of(List<LocalDate> dates, List<Long> workloads, List<Long> cpuSeconds) {
        long highestW = workloads.stream().mapToLong(Long::longValue).max().orElse(0);
        long highestC = cpuSeconds.stream().mapToLong(Long::longValue).max().orElse(0);
        long maxW = Math.max(1, highestW);
        long maxC = Math.max(1, highestC);
        int slot = WIDTH / dates.size();
        List<Day> days = new java.util.ArrayList<>();
        for (int i = 0; i < dates.size(); i++) {
            int x = i * slot + slot / 2 - 26;
            int hw = (int) Math.round(PLOT * (double) workloads.get(i) / maxW);
            int hc = (int) Math.round(PLOT * (double) cpuSeconds.get(i) / maxC);
            days.add(new Day(dates.get(i), workloads.get(i), cpuSeconds.get(i), x, BASE - hw, hw, BASE - hc, hc,
                    i * slot + slot / 2));
        }
        return new DayBars(days, highestW, highestC);
    }
}
