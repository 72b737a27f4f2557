package dev.palisade.web.dashboard;

import dev.palisade.model.quota.QuotaLimits;
import dev.palisade.model.quota.QuotaService;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.tenant.TenantService;
import dev.palisade.model.usage.Usage;
import dev.palisade.model.usage.UsageService;
import java.time.YearMonth;
import java.time.ZoneOffset;
import dev.palisade.web.support.CurrentUser;
import dev.palisade.web.workload.WorkloadQueries;
import org.springframework.data.domain.PageRequest;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;

/** The portal's first page: the tenant's usage against each quota, and its latest workloads. */
@Controller
class PortalDashboardController {

    static final String VIEW = "portal/dashboard";

    private final TenantService tenants;
    private final QuotaService quotas;
    private final UsageService usageService;
    private final DashboardQueries queries;
    private final WorkloadQueries workloads;

    PortalDashboardController(TenantService tenants, QuotaService quotas, UsageService usageService,
            DashboardQueries queries, WorkloadQueries workloads) {
        this.tenants = tenants;
        this.quotas = quotas;
        this.usageService = usageService;
        this.queries = queries;
        this.workloads = workloads;
    }

    @GetMapping("/portal")
    String dashboard(CurrentUser user, Model model) {
        Tenant tenant = tenants.get(user.tenantSlug());
        QuotaLimits limits = quotas.get(tenant).limits();
        model.addAttribute("tenant", tenant);
        model.addAttribute("limits", limits);
        Usage usage = usageService.of(tenant.getId(), YearMonth.now(ZoneOffset.UTC));
        model.addAttribute("usage", UsageBar.of(usage, limits));
        model.addAttribute("queued", usage.queued());
        model.addAttribute("workloadsThisMonth", usage.workloads());
        model.addAttribute("chart", queries.lastDays(7, tenant.getId()));
        model.addAttribute("recentWorkloads",
                workloads.list(tenant.getId(), null, null, PageRequest.of(0, 5)).getContent());
        return VIEW;
    }
}
