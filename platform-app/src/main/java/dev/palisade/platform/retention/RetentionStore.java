package dev.palisade.platform.retention;

import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** The tenant_retention table, and the purge's delete. */
@Component
class RetentionStore {

    private final JdbcClient jdbc;

    RetentionStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** The tenant's own days, if it chose. */
    Optional<Integer> days(long tenantId) {
        return jdbc.sql("select days from tenant_retention where tenant_id = :t").param("t", tenantId)
                .query(Integer.class).optional();
    }

    void setDays(long tenantId, int days) {
        jdbc.sql("""
                insert into tenant_retention (tenant_id, days) values (:t, :d)
                on conflict (tenant_id) do update set days = excluded.days, updated_at = now()""")
                .param("t", tenantId).param("d", days).update();
    }

    /**
     * Deletes at most {@code batch} finished workloads older than their tenant's retention (their
     * logs, files and secrets references go with them), never the newest deployment of a service;
     * how many. Rows another transaction holds are left for the next run.
     */
    int purge(int defaultDays, int batch) {
        return jdbc.sql("""
                with doomed as (
                    select w.id from workload w left join tenant_retention r on r.tenant_id = w.tenant_id
                    where w.finished_at is not null
                      and w.state in ('SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'REJECTED')
                      and w.finished_at < now() - make_interval(days => coalesce(r.days, :default))
                      and not exists (
                          select 1 from service_deployment d
                          where d.workload_id = w.id and not exists (
                              select 1 from service_deployment d2 join workload w2 on w2.id = d2.workload_id
                              where d2.tenant_id = d.tenant_id and d2.service_name = d.service_name
                                and d2.primary_id is null and w2.created_at > w.created_at))
                    order by w.finished_at
                    limit :batch
                    for update of w skip locked)
                delete from workload where id in (select id from doomed)""")
                .param("default", defaultDays).param("batch", batch).update();
    }
}
