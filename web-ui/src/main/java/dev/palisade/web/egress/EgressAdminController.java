package dev.palisade.web.egress;

import dev.palisade.model.tenant.TenantService;
import dev.palisade.web.support.CurrentUser;
import dev.palisade.web.support.Flash;
import java.util.Arrays;
import java.util.List;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/** A tenant's egress allowlist, edited by a platform admin: one destination a line. */
@Controller
@RequestMapping("/admin/tenants/{slug}/egress")
class EgressAdminController {

    static final String VIEW = "admin/tenants/egress";

    private final TenantService tenants;
    private final EgressActions actions;

    EgressAdminController(TenantService tenants, EgressActions actions) {
        this.tenants = tenants;
        this.actions = actions;
    }

    @GetMapping
    String form(CurrentUser me, @PathVariable String slug, Model model) {
        model.addAttribute("tenant", tenants.get(slug));
        if (!model.containsAttribute("destinations")) {
            model.addAttribute("destinations", String.join("\n", actions.list(me, slug)));
        }
        return VIEW;
    }

    @PostMapping
    String save(CurrentUser me, @PathVariable String slug, @RequestParam(defaultValue = "") String destinations,
            RedirectAttributes redirect) {
        tenants.get(slug);
        List<String> entries = Arrays.stream(destinations.split("[\\r\\n,]+")).map(String::trim)
                .filter(s -> !s.isEmpty()).toList();
        try {
            List<String> saved = actions.replace(me, slug, entries);
            Flash.success(redirect, "flash.egress.saved", slug, saved.size());
        } catch (EgressActions.Refused e) {
            Flash.error(redirect, "flash.egress.refused", e.getMessage());
            redirect.addFlashAttribute("destinations", destinations);
        }
        return "redirect:/admin/tenants/" + slug + "/egress";
    }
}
