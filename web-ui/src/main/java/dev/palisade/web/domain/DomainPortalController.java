package dev.palisade.web.domain;

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

/** The tenant's custom domains in the portal (POST-redirect-GET, the API's answers as flash messages). */
@Controller
@RequestMapping("/portal/domains")
class DomainPortalController {

    static final String VIEW = "portal/domains";
    private static final String BACK = "redirect:/portal/domains";

    private final DomainActions actions;

    DomainPortalController(DomainActions actions) {
        this.actions = actions;
    }

    @GetMapping
    String list(CurrentUser me, Model model) {
        model.addAttribute("domains", actions.list(me));
        model.addAttribute("canManage", me.role().name().equals("TENANT_ADMIN"));
        return VIEW;
    }

    @PostMapping
    String claim(CurrentUser me, @RequestParam String host, @RequestParam String service,
            @RequestParam(defaultValue = "false") boolean hsts,
            @RequestParam(defaultValue = "http-01") String challenge, RedirectAttributes redirect) {
        return act(me, redirect, () -> Flash.success(redirect, "flash.domain.claimed",
                actions.claim(me, host, service.trim(), hsts, challenge)));
    }

    @PostMapping("/{host}/hsts")
    String hsts(CurrentUser me, @PathVariable String host, @RequestParam boolean on, RedirectAttributes redirect) {
        return act(me, redirect, () -> {
            actions.hsts(me, host, on);
            Flash.success(redirect, on ? "flash.domain.hstsOn" : "flash.domain.hstsOff", host);
        });
    }

    @PostMapping("/{host}/renew")
    String renew(CurrentUser me, @PathVariable String host, RedirectAttributes redirect) {
        return act(me, redirect, () -> {
            actions.renew(me, host);
            Flash.success(redirect, "flash.domain.renewing", host);
        });
    }

    @PostMapping("/{host}/delete")
    String release(CurrentUser me, @PathVariable String host, RedirectAttributes redirect) {
        return act(me, redirect, () -> {
            actions.release(me, host);
            Flash.success(redirect, "flash.domain.released", host);
        });
    }

    /** A tenant admin's change, its refusal said on the page; back to the list either way. */
    private String act(CurrentUser me, RedirectAttributes redirect, Runnable change) {
        me.requireTenantAdmin();
        try {
            change.run();
        } catch (DomainActions.Refused e) {
            Flash.error(redirect, "flash.domain.refused", e.getMessage());
        }
        return BACK;
    }
}
