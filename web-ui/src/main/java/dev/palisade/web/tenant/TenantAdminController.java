package dev.palisade.web.tenant;

import dev.palisade.model.ConflictException;
import dev.palisade.model.quota.QuotaLimits;
import dev.palisade.model.quota.QuotaService;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.tenant.TenantService;
import dev.palisade.model.tenant.TenantStatus;
import dev.palisade.model.usage.UsageService;
import dev.palisade.model.user.UserService;
import dev.palisade.web.dashboard.UsageBar;
import dev.palisade.web.support.CurrentUser;
import dev.palisade.web.support.Flash;
import dev.palisade.web.support.Pager;
import dev.palisade.web.support.Paging;
import dev.palisade.web.workload.WorkloadQueries;
import jakarta.validation.Valid;
import java.time.YearMonth;
import java.time.ZoneOffset;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.validation.BindingResult;
import org.springframework.web.bind.WebDataBinder;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.InitBinder;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/** Tenants in the admin console: search, create, edit, suspend and resume, delete after confirmation. */
@Controller
@RequestMapping("/admin/tenants")
class TenantAdminController {

    static final String LIST_VIEW = "admin/tenants/list";
    static final String FORM_VIEW = "admin/tenants/form";
    static final String DETAIL_VIEW = "admin/tenants/detail";
    static final String DELETE_VIEW = "admin/tenants/delete";

    private final TenantService tenants;
    private final TenantQueries queries;
    private final QuotaService quotas;
    private final UserService users;
    private final WorkloadQueries workloads;
    private final UsageService usage;

    TenantAdminController(TenantService tenants, TenantQueries queries, QuotaService quotas, UserService users,
            WorkloadQueries workloads, UsageService usage) {
        this.tenants = tenants;
        this.queries = queries;
        this.quotas = quotas;
        this.users = users;
        this.workloads = workloads;
        this.usage = usage;
    }

    @InitBinder
    void noIds(WebDataBinder binder) {
        binder.setDisallowedFields("id", "status");
    }

    @GetMapping
    String list(@RequestParam(required = false) String q, @RequestParam(required = false) TenantStatus status,
            @RequestParam(required = false) Integer page, Model model) {
        Page<TenantRow> found = queries.search(q, status, Paging.page(page));
        model.addAttribute("tenants", found.getContent());
        model.addAttribute("pager", Pager.of(found));
        model.addAttribute("q", q);
        model.addAttribute("status", status);
        model.addAttribute("statuses", TenantStatus.values());
        return LIST_VIEW;
    }

    @GetMapping("/new")
    String createForm(Model model) {
        model.addAttribute("tenantForm", new TenantForm());
        model.addAttribute("creating", true);
        return FORM_VIEW;
    }

    @PostMapping("/new")
    String create(CurrentUser me, @Valid TenantForm tenantForm, BindingResult result, Model model,
            RedirectAttributes redirect) {
        if (!result.hasErrors()) {
            try {
                Tenant tenant = tenants.create(me.username(), tenantForm.getSlug(), tenantForm.getDisplayName());
                Flash.success(redirect, "flash.tenant.created", tenant.getSlug());
                return "redirect:/admin/tenants/" + tenant.getSlug();
            } catch (ConflictException taken) {
                result.rejectValue("slug", "taken");
            }
        }
        model.addAttribute("creating", true);
        return FORM_VIEW;
    }

    @GetMapping("/{slug}")
    String detail(@PathVariable String slug, Model model) {
        Tenant tenant = tenants.get(slug);
        model.addAttribute("tenant", tenant);
        QuotaLimits limits = quotas.get(tenant).limits();
        model.addAttribute("limits", limits);
        model.addAttribute("usage", UsageBar.of(usage.of(tenant.getId(), YearMonth.now(ZoneOffset.UTC)), limits));
        model.addAttribute("users", users.list(tenant, PageRequest.of(0, 100, Sort.by("username"))).getContent());
        model.addAttribute("recentWorkloads",
                workloads.list(tenant.getId(), null, null, PageRequest.of(0, 10)).getContent());
        return DETAIL_VIEW;
    }

    @GetMapping("/{slug}/edit")
    String editForm(@PathVariable String slug, Model model) {
        Tenant tenant = tenants.get(slug);
        TenantForm form = new TenantForm();
        form.setSlug(tenant.getSlug());
        form.setDisplayName(tenant.getDisplayName());
        model.addAttribute("tenantForm", form);
        model.addAttribute("creating", false);
        return FORM_VIEW;
    }

    @PostMapping("/{slug}/edit")
    String edit(CurrentUser me, @PathVariable String slug, @Valid TenantForm tenantForm, BindingResult result,
            Model model, RedirectAttributes redirect) {
        tenantForm.setSlug(slug);
        if (result.hasFieldErrors("displayName")) {
            model.addAttribute("creating", false);
            return FORM_VIEW;
        }
        tenants.update(me.username(), slug, tenantForm.getDisplayName(), null);
        Flash.success(redirect, "flash.tenant.updated", slug);
        return "redirect:/admin/tenants/" + slug;
    }

    @PostMapping("/{slug}/suspend")
    String suspend(CurrentUser me, @PathVariable String slug, RedirectAttributes redirect) {
        tenants.update(me.username(), slug, null, TenantStatus.SUSPENDED);
        Flash.success(redirect, "flash.tenant.suspended", slug);
        return "redirect:/admin/tenants/" + slug;
    }

    @PostMapping("/{slug}/resume")
    String resume(CurrentUser me, @PathVariable String slug, RedirectAttributes redirect) {
        tenants.update(me.username(), slug, null, TenantStatus.ACTIVE);
        Flash.success(redirect, "flash.tenant.resumed", slug);
        return "redirect:/admin/tenants/" + slug;
    }

    @GetMapping("/{slug}/delete")
    String confirmDelete(@PathVariable String slug, Model model) {
        model.addAttribute("tenant", tenants.get(slug));
        return DELETE_VIEW;
    }

    /** Deleting takes the slug typed again: the confirmation cannot be clicked through by habit. */
    @PostMapping("/{slug}/delete")
    String delete(CurrentUser me, @PathVariable String slug, @RequestParam(defaultValue = "") String confirm,
            Model model, RedirectAttributes redirect) {
        Tenant tenant = tenants.get(slug);
        if (!slug.equals(confirm.trim())) {
            model.addAttribute("tenant", tenant);
            model.addAttribute("mismatch", true);
            return DELETE_VIEW;
        }
        tenants.delete(me.username(), slug);
        Flash.success(redirect, "flash.tenant.deleted", slug);
        return "redirect:/admin/tenants";
    }
}
