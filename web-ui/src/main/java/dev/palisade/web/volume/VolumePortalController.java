package dev.palisade.web.volume;

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

/** The tenant's volumes in the portal; the size is asked in MiB. */
@Controller
@RequestMapping("/portal/volumes")
class VolumePortalController {

    static final String VIEW = "portal/volumes";

    private final VolumeActions actions;

    VolumePortalController(VolumeActions actions) {
        this.actions = actions;
    }

    @GetMapping
    String list(CurrentUser me, Model model) {
        model.addAttribute("volumes", actions.list(me));
        model.addAttribute("canManage", me.role().name().equals("TENANT_ADMIN"));
        return VIEW;
    }

    @PostMapping
    String create(CurrentUser me, @RequestParam String name, @RequestParam long sizeMib, RedirectAttributes redirect) {
        me.requireTenantAdmin();
        try {
            actions.create(me, name.trim(), Math.multiplyExact(sizeMib, 1L << 20));
            Flash.success(redirect, "flash.volume.created", name.trim());
        } catch (VolumeActions.Refused | ArithmeticException e) {
            Flash.error(redirect, "flash.volume.refused", e.getMessage());
        }
        return "redirect:/portal/volumes";
    }

    @PostMapping("/{name}/delete")
    String delete(CurrentUser me, @PathVariable String name, RedirectAttributes redirect) {
        me.requireTenantAdmin();
        try {
            actions.delete(me, name);
            Flash.success(redirect, "flash.volume.deleted", name);
        } catch (VolumeActions.Refused e) {
            Flash.error(redirect, "flash.volume.refused", e.getMessage());
        }
        return "redirect:/portal/volumes";
    }
}
