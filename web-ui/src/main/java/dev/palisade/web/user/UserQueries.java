package dev.palisade.web.user;

import dev.palisade.model.user.Role;
import java.util.List;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageImpl;
import org.springframework.data.domain.Pageable;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/** Users of every tenant for the console, searchable by name or tenant. */
@Component
public class UserQueries {

    private final NamedParameterJdbcTemplate jdbc;

    UserQueries(NamedParameterJdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Users, ordered by name; a tenant id limits them to that tenant. */
    public Page<UserRow> search(String text, Long tenantId, Pageable page) {
        StringBuilder where = new StringBuilder(" where true");
        MapSqlParameterSource params = new MapSqlParameterSource();
        if (text != null && !text.isBlank()) {
            where.append(" and (u.username ilike :q or t.slug ilike :q)");
            params.addValue("q", "%" + text.trim().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%");
        }
        if (tenantId != null) {
            where.append(" and u.tenant_id = :tenantId");
            params.addValue("tenantId", tenantId);
        }
        String from = " from app_user u left join tenant t on t.id = u.tenant_id";
        Long total = jdbc.queryForObject("select count(*)" + from + where, params, Long.class);
        params.addValue("limit", page.getPageSize()).addValue("offset", page.getOffset());
        List<UserRow> rows = jdbc.query("select u.id, u.username, u.role, t.slug, u.created_at, u.public_id" + from + where
                        + " order by u.username limit :limit offset :offset", params,
                (rs, n) -> new UserRow(rs.getLong(1), rs.getString(2), Role.valueOf(rs.getString(3)),
                        rs.getString(4), rs.getTimestamp(5).toInstant(), rs.getObject(6, java.util.UUID.class)));
        return new PageImpl<>(rows, page, total == null ? 0 : total);
    }
}
