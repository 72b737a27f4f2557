package dev.palisade.web.audit;

import dev.palisade.model.audit.AuditEvent;
import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.audit.AuditQuery;
import dev.palisade.web.support.Pager;
import dev.palisade.web.support.Paging;
import java.time.LocalDate;
import java.time.ZoneOffset;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Sort;
import org.springframework.format.annotation.DateTimeFormat;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

/** The audit log in the admin console, newest first, filtered by tenant, action, actor and days (UTC). */
@Controller
class AuditAdminController {

    static final String VIEW = "admin/audit";

    private final AuditLog audit;

    AuditAdminController(AuditLog audit) {
        this.audit = audit;
    }

    @GetMapping("/admin/audit")
    String list(@RequestParam(required = false) String tenant, @RequestParam(required = false) String action,
            @RequestParam(required = false) String actor,
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate from,
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate to,
            @RequestParam(required = false) Integer page, Model model) {
        AuditQuery query = new AuditQuery(blankToNull(tenant), blankToNull(action), blankToNull(actor),
                from == null ? null : from.atStartOfDay(ZoneOffset.UTC).toInstant(),
                to == null ? null : to.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant());
        Page<AuditEvent> events = audit.search(query,
                Paging.page(page, Sort.by(Sort.Direction.DESC, "occurredAt").and(Sort.by(Sort.Direction.DESC, "id"))));
        model.addAttribute("events", events.getContent());
        model.addAttribute("pager", Pager.of(events));
        model.addAttribute("tenant", tenant);
        model.addAttribute("action", action);
        model.addAttribute("actor", actor);
        model.addAttribute("from", from);
        model.addAttribute("to", to);
        return VIEW;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
