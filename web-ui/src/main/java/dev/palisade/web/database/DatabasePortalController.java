package dev.palisade.web.database;

import dev.palisade.web.support.CurrentUser;
import dev.palisade.web.support.Flash;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/** The tenant's databases in the portal; the size bound is asked in MiB. */
@Controller
@RequestMapping("/portal/databases")
class DatabasePortalController {

    static final String VIEW = "portal/databases";

    private final DatabaseActions actions;

    DatabasePortalController(DatabaseActions actions) {
        this.actions = actions;
    }

    @GetMapping
    String list(CurrentUser me, Model model) {
        model.addAttribute("databases", actions.list(me));
        model.addAttribute("canManage", me.role().name().equals("TENANT_ADMIN"));
        return VIEW;
    }

    @PostMapping
    String create(CurrentUser me, @RequestParam String name, @RequestParam long sizeMib,
            @RequestParam(required = false) String secretName, RedirectAttributes redirect) {
        me.requireTenantAdmin();
        String secret = secretName == null || secretName.isBlank() ? null : secretName.trim();
        try {
            actions.create(me, name.trim(), Math.multiplyExact(sizeMib, 1L << 20), secret);
            Flash.success(redirect, "flash.database.created", name.trim());
        } catch (DatabaseActions.Refused | ArithmeticException e) {
            Flash.error(redirect, "flash.database.refused", e.getMessage());
        }
        return "redirect:/portal/databases";
    }

    @PostMapping("/{name}/delete")
    String delete(CurrentUser me, @PathVariable String name, RedirectAttributes redirect) {
        me.requireTenantAdmin();
        try {
            actions.delete(me, name);
            Flash.success(redirect, "flash.database.deleted", name);
        } catch (DatabaseActions.Refused e) {
            Flash.error(redirect, "flash.database.refused", e.getMessage());
        }
        return "redirect:/portal/databases";
    }
}
