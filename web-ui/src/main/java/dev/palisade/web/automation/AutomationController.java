package dev.palisade.web.automation;

import dev.palisade.web.support.CurrentUser;
import dev.palisade.web.support.Flash;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * The portal's automation page. Every user of the tenant sees its cron jobs and may suspend or
 * resume them (as through the API); only its admins see the webhooks, their log, and send tests.
 */
@Controller
@RequestMapping("/portal/automation")
class AutomationController {

    static final String VIEW = "portal/automation";

    private final AutomationQueries queries;
    private final CronJobActions cronJobs;
    private final WebhookActions webhooks;

    AutomationController(AutomationQueries queries, CronJobActions cronJobs, WebhookActions webhooks) {
        this.queries = queries;
        this.cronJobs = cronJobs;
        this.webhooks = webhooks;
    }

    @GetMapping
    String page(CurrentUser me, Model model) {
        long tenant = tenantOf(me);
        model.addAttribute("cronJobs", queries.cronJobs(tenant));
        model.addAttribute("webhooks", me.isTenantAdmin() ? queries.webhooks(tenant) : null);
        return VIEW;
    }

    @PostMapping("/cron-jobs/{name}/suspend")
    String suspend(CurrentUser me, @PathVariable String name, @RequestParam boolean suspended, RedirectAttributes redirect) {
        tenantOf(me);
        if (!cronJobs.suspend(me, me.tenantSlug(), name, suspended)) {
            throw new ResponseStatusException(HttpStatus.NOT_FOUND);
        }
        Flash.success(redirect, suspended ? "flash.cron.suspended" : "flash.cron.resumed", name);
        return "redirect:/portal/automation";
    }

    @PostMapping("/webhooks/{id}/test")
    String test(CurrentUser me, @PathVariable UUID id, RedirectAttributes redirect) {
        tenantOf(me);
        me.requireTenantAdmin();
        if (!webhooks.sendTestEvent(me, me.tenantSlug(), id)) {
            throw new ResponseStatusException(HttpStatus.NOT_FOUND);
        }
        Flash.success(redirect, "flash.webhook.tested");
        return "redirect:/portal/automation";
    }

    private static long tenantOf(CurrentUser me) {
        if (me.tenantId() == null) {
            throw new ResponseStatusException(HttpStatus.NOT_FOUND);
        }
        return me.tenantId();
    }
}
