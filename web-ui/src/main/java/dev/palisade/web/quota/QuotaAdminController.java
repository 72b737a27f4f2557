package dev.palisade.web.quota;

import dev.palisade.model.quota.QuotaService;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.tenant.TenantService;
import dev.palisade.web.support.CurrentUser;
import dev.palisade.web.support.Flash;
import jakarta.validation.Valid;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.validation.BindingResult;
import org.springframework.web.bind.WebDataBinder;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.InitBinder;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/** A tenant's quota, edited by a platform admin. */
@Controller
@RequestMapping("/admin/tenants/{slug}/quota")
class QuotaAdminController {

    static final String VIEW = "admin/tenants/quota";

    private final TenantService tenants;
    private final QuotaService quotas;

    QuotaAdminController(TenantService tenants, QuotaService quotas) {
        this.tenants = tenants;
        this.quotas = quotas;
    }

    @InitBinder
    void noIds(WebDataBinder binder) {
        binder.setDisallowedFields("id", "tenantId");
    }

    @GetMapping
    String form(@PathVariable String slug, Model model) {
        Tenant tenant = tenants.get(slug);
        model.addAttribute("tenant", tenant);
        model.addAttribute("quotaForm", QuotaForm.of(quotas.get(tenant).limits()));
        return VIEW;
    }

    @PostMapping
    String save(CurrentUser me, @PathVariable String slug, @Valid QuotaForm quotaForm, BindingResult result,
            Model model, RedirectAttributes redirect) {
        Tenant tenant = tenants.get(slug);
        if (result.hasErrors()) {
            model.addAttribute("tenant", tenant);
            return VIEW;
        }
        quotas.replace(me.username(), tenant, quotaForm.toLimits());
        Flash.success(redirect, "flash.quota.saved", slug);
        return "redirect:/admin/tenants/" + slug;
    }
}
