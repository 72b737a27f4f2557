package dev.palisade.web.dashboard;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/** Figures of the two dashboards, each one aggregate query over an indexed range or a small rollup. */
@Component
class DashboardQueries {

    record Counts(long activeTenants, long suspendedTenants, long queued, long running) {
    }

    private final NamedParameterJdbcTemplate jdbc;

    DashboardQueries(NamedParameterJdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    Counts counts() {
        return jdbc.queryForObject("""
                select (select count(*) from tenant where status = 'ACTIVE') as active_tenants,
                       (select count(*) from tenant where status = 'SUSPENDED') as suspended_tenants,
                       (select count(*) from workload where state = 'QUEUED') as queued,
                       (select count(*) from workload where state = 'RUNNING') as running
                """, new MapSqlParameterSource(), (rs, n) -> new Counts(rs.getLong(1), rs.getLong(2),
                rs.getLong(3), rs.getLong(4)));
    }

    /** Workloads created and CPU seconds used per UTC day, the last {@code days} days up to today; null tenant: all. */
    DayBars lastDays(int days, Long tenantId) {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        LocalDate first = today.minusDays(days - 1L);
        MapSqlParameterSource params = new MapSqlParameterSource("from", first);
        String tenantFilter = "";
        if (tenantId != null) {
            tenantFilter = " and tenant_id = :tenantId";
            params.addValue("tenantId", tenantId);
        }
        Map<LocalDate, long[]> byDay = new HashMap<>();
        // workload_daily is kept equal to aggregating the workload table by UTC day (migration V22)
        jdbc.query("""
                select day, sum(workloads), (sum(cpu_millis) + 999) / 1000
                from workload_daily where day >= :from""" + tenantFilter + " group by day", params,
                rs -> {
                    byDay.put(rs.getObject(1, LocalDate.class), new long[] {rs.getLong(2), rs.getLong(3)});
                });
        List<LocalDate> dates = new ArrayList<>();
        List<Long> workloads = new ArrayList<>();
        List<Long> cpu = new ArrayList<>();
        for (LocalDate d = first; !d.isAfter(today); d = d.plusDays(1)) {
            long[] v = byDay.getOrDefault(d, new long[2]);
            dates.add(d);
            workloads.add(v[0]);
            cpu.add(v[1]);
        }
        return DayBars.of(dates, workloads, cpu);
    }
}
