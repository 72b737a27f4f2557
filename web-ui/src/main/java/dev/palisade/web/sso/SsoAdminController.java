package dev.palisade.web.sso;

import dev.palisade.model.tenant.TenantService;
import dev.palisade.model.user.Role;
import dev.palisade.web.support.CurrentUser;
import dev.palisade.web.support.Flash;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/** Providers, mappings and tenants' password policy on one page, each form posting back to it. */
@Controller
@RequestMapping("/admin/sso")
class SsoAdminController {

    static final String VIEW = "admin/sso";
    private static final String BACK = "redirect:/admin/sso";

    private final SsoActions actions;
    private final TenantService tenants;

    SsoAdminController(SsoActions actions, TenantService tenants) {
        this.actions = actions;
        this.tenants = tenants;
    }

    @GetMapping
    String page(Model model) {
        model.addAttribute("providers", actions.providers());
        model.addAttribute("mappings", actions.mappings());
        model.addAttribute("passwordless", actions.tenantsWithoutLocalPasswords());
        model.addAttribute("tenants", tenants.list(PageRequest.of(0, 500, Sort.by("slug"))).getContent());
        model.addAttribute("roles", new Role[] {Role.TENANT_ADMIN, Role.TENANT_MEMBER});
        return VIEW;
    }

    @PostMapping("/providers")
    String saveProvider(CurrentUser me, @RequestParam String registrationId, @RequestParam String displayName,
            @RequestParam String issuerUri, @RequestParam String clientId,
            @RequestParam(defaultValue = "") String clientSecret,
            @RequestParam(defaultValue = "openid profile email") String scopes,
            @RequestParam(defaultValue = "email") String matchClaim,
            @RequestParam(defaultValue = "groups") String groupsClaim, RedirectAttributes redirect) {
        try {
            actions.saveProvider(me, new SsoActions.ProviderForm(registrationId.trim(), displayName.trim(),
                    issuerUri.trim(), clientId.trim(), clientSecret, scopes.trim(), matchClaim, groupsClaim.trim()));
            Flash.success(redirect, "flash.sso.providerSaved", registrationId.trim());
        } catch (SsoActions.Refused e) {
            Flash.error(redirect, "flash.sso.refused", e.getMessage());
        }
        return BACK;
    }

    @PostMapping("/providers/delete")
    String deleteProvider(CurrentUser me, @RequestParam long id, RedirectAttributes redirect) {
        actions.deleteProvider(me, id);
        Flash.success(redirect, "flash.sso.providerDeleted");
        return BACK;
    }

    @PostMapping("/mappings")
    String addMapping(CurrentUser me, @RequestParam String provider, @RequestParam String kind,
            @RequestParam String value, @RequestParam String tenant, @RequestParam Role role,
            RedirectAttributes redirect) {
        try {
            actions.addMapping(me, provider, kind, value.trim(), tenant, role);
            Flash.success(redirect, "flash.sso.mappingAdded", value.trim(), tenant);
        } catch (SsoActions.Refused e) {
            Flash.error(redirect, "flash.sso.refused", e.getMessage());
        }
        return BACK;
    }

    @PostMapping("/mappings/delete")
    String deleteMapping(CurrentUser me, @RequestParam long id, RedirectAttributes redirect) {
        actions.deleteMapping(me, id);
        Flash.success(redirect, "flash.sso.mappingDeleted");
        return BACK;
    }

    @PostMapping("/passwords")
    String localPasswords(CurrentUser me, @RequestParam String tenant, @RequestParam boolean allowed,
            RedirectAttributes redirect) {
        try {
            actions.setLocalPasswords(me, tenant, allowed);
            Flash.success(redirect, allowed ? "flash.sso.passwordsOn" : "flash.sso.passwordsOff", tenant);
        } catch (SsoActions.Refused e) {
            Flash.error(redirect, "flash.sso.refused", e.getMessage());
        }
        return BACK;
    }
}
