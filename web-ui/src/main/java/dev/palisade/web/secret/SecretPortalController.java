package dev.palisade.web.secret;

import dev.palisade.web.support.CurrentUser;
import dev.palisade.web.support.Flash;
import java.util.List;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * The tenant's secrets in the portal. The set form's value field is a password field that is
 * never filled back: after a set the page shows the name and the new version only.
 */
@Controller
@RequestMapping("/portal/secrets")
class SecretPortalController {

    static final String VIEW = "portal/secrets";

    private final SecretActions actions;

    SecretPortalController(SecretActions actions) {
        this.actions = actions;
    }

    @GetMapping
    String list(CurrentUser me, Model model) {
        model.addAttribute("secrets", actions.list(me));
        model.addAttribute("canManage", me.role().name().equals("TENANT_ADMIN"));
        return VIEW;
    }

    @PostMapping
    String set(CurrentUser me, @RequestParam String name, @RequestParam String value, RedirectAttributes redirect) {
        me.requireTenantAdmin();
        try {
            List<String> restarted = actions.set(me, name.trim(), value);
            if (restarted.isEmpty()) {
                Flash.success(redirect, "flash.secret.set", name.trim());
            } else {
                Flash.success(redirect, "flash.secret.setRestarted", name.trim(), String.join(", ", restarted));
            }
        } catch (SecretActions.Refused e) {
            Flash.error(redirect, "flash.secret.refused", e.getMessage());
        }
        return "redirect:/portal/secrets";
    }

    @PostMapping("/{name}/delete")
    String delete(CurrentUser me, @PathVariable String name, RedirectAttributes redirect) {
        me.requireTenantAdmin();
        try {
            actions.delete(me, name);
            Flash.success(redirect, "flash.secret.deleted", name);
        } catch (SecretActions.Refused e) {
            Flash.error(redirect, "flash.secret.refused", e.getMessage());
        }
        return "redirect:/portal/secrets";
    }
}
