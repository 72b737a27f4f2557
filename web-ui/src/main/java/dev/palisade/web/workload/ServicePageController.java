package dev.palisade.web.workload;

import dev.palisade.model.NotFoundException;
import dev.palisade.web.support.CurrentUser;
import dev.palisade.web.support.Flash;
import java.util.UUID;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * Stop and start of a service from its detail page, in the portal (the signed-in user's tenant
 * only: another tenant's id answers 404) and in the console (any tenant, platform admins).
 */
@Controller
class ServicePageController {

    private final WorkloadQueries queries;
    private final ObjectProvider<ServiceActions> actions;

    ServicePageController(WorkloadQueries queries, ObjectProvider<ServiceActions> actions) {
        this.queries = queries;
        this.actions = actions;
    }

    @PostMapping("/portal/workloads/{id}/stop")
    String portalStop(CurrentUser me, @PathVariable UUID id, RedirectAttributes redirect) {
        return stop(me, service(id, me.tenantId()), "/portal", redirect);
    }

    @PostMapping("/portal/workloads/{id}/start")
    String portalStart(CurrentUser me, @PathVariable UUID id, RedirectAttributes redirect) {
        return start(me, service(id, me.tenantId()), "/portal", redirect);
    }

    @PostMapping("/admin/workloads/{id}/stop")
    String adminStop(CurrentUser me, @PathVariable UUID id, RedirectAttributes redirect) {
        return stop(me, service(id, null), "/admin", redirect);
    }

    @PostMapping("/admin/workloads/{id}/start")
    String adminStart(CurrentUser me, @PathVariable UUID id, RedirectAttributes redirect) {
        return start(me, service(id, null), "/admin", redirect);
    }

    private String stop(CurrentUser me, WorkloadDetail w, String base, RedirectAttributes redirect) {
        available().stop(me, w.row().tenant(), w.service().name());
        Flash.success(redirect, "flash.service.stopped", w.service().name());
        return "redirect:" + base + "/workloads/" + w.row().id();
    }

    private String start(CurrentUser me, WorkloadDetail w, String base, RedirectAttributes redirect) {
        try {
            UUID started = available().start(me, w.row().tenant(), w.service().name());
            Flash.success(redirect, "flash.service.started", w.service().name());
            return "redirect:" + base + "/workloads/" + started;
        } catch (ServiceActions.Refused refused) {
            Flash.error(redirect, "flash.service.notStarted", w.service().name(), refused.getMessage());
            return "redirect:" + base + "/workloads/" + w.row().id();
        }
    }

    /** The workload, when it is a service (of that tenant, when one is given). */
    private WorkloadDetail service(UUID id, Long tenantId) {
        return queries.find(id, tenantId).filter(w -> w.service() != null)
                .orElseThrow(() -> new NotFoundException("no service workload " + id));
    }

    private ServiceActions available() {
        ServiceActions platform = actions.getIfAvailable();
        if (platform == null) {
            throw new ResponseStatusException(HttpStatus.SERVICE_UNAVAILABLE);
        }
        return platform;
    }
}
