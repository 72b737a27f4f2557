package dev.palisade.web.tenant;

import dev.palisade.model.tenant.TenantStatus;
import java.util.List;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageImpl;
import org.springframework.data.domain.Pageable;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/** Tenants list of the console: search in slug and name, ordered by slug, a page at a time. */
@Component
class TenantQueries {

    private final NamedParameterJdbcTemplate jdbc;

    TenantQueries(NamedParameterJdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    Page<TenantRow> search(String text, TenantStatus status, Pageable page) {
        StringBuilder where = new StringBuilder(" where true");
        MapSqlParameterSource params = new MapSqlParameterSource();
        if (text != null && !text.isBlank()) {
            where.append(" and (t.slug ilike :q or t.display_name ilike :q)");
            params.addValue("q", "%" + text.trim().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%");
        }
        if (status != null) {
            where.append(" and t.status = :status");
            params.addValue("status", status.name());
        }
        Long total = jdbc.queryForObject("select count(*) from tenant t" + where, params, Long.class);
        params.addValue("limit", page.getPageSize()).addValue("offset", page.getOffset());
        List<TenantRow> rows = jdbc.query("""
                select t.slug, t.display_name, t.status, t.created_at,
                       (select count(*) from app_user u where u.tenant_id = t.id),
                       (select count(*) from workload w where w.tenant_id = t.id and w.state in ('QUEUED', 'RUNNING'))
                from tenant t""" + where + " order by t.slug limit :limit offset :offset", params,
                (rs, n) -> new TenantRow(rs.getString(1), rs.getString(2), TenantStatus.valueOf(rs.getString(3)),
                        rs.getTimestamp(4).toInstant(), rs.getLong(5), rs.getLong(6)));
        return new PageImpl<>(rows, page, total == null ? 0 : total);
    }
}
