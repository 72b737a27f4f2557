package dev.palisade.web.dashboard;

import dev.palisade.model.audit.AuditLog;
import dev.palisade.web.platform.PlatformQueries;
import dev.palisade.web.workload.WorkloadQueries;
import org.springframework.data.domain.PageRequest;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;

/** The admin console's first page: what runs, what waits, what changed, the last week. */
@Controller
class AdminDashboardController {

    static final String VIEW = "admin/dashboard";

    private final DashboardQueries queries;
    private final WorkloadQueries workloads;
    private final AuditLog audit;
    private final PlatformQueries platform;

    AdminDashboardController(DashboardQueries queries, WorkloadQueries workloads, AuditLog audit,
            PlatformQueries platform) {
        this.queries = queries;
        this.workloads = workloads;
        this.audit = audit;
        this.platform = platform;
    }

    @GetMapping("/admin")
    String dashboard(Model model) {
        model.addAttribute("counts", queries.counts());
        model.addAttribute("chart", queries.lastDays(7, null));
        model.addAttribute("recentWorkloads",
                workloads.list(null, null, null, PageRequest.of(0, 8)).getContent());
        model.addAttribute("nodes", platform.nodes());
        model.addAttribute("recentSecurity", platform.securityEvents(null, null, PageRequest.of(0, 6)).getContent());
        model.addAttribute("recentAudit", audit.latest(8));
        return VIEW;
    }
}
