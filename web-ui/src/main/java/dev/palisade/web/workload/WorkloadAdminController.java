package dev.palisade.web.workload;

import dev.palisade.model.NotFoundException;
import dev.palisade.model.workload.WorkloadState;
import dev.palisade.web.support.CurrentUser;
import dev.palisade.web.support.Pager;
import dev.palisade.web.support.Paging;
import java.util.UUID;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.data.domain.Slice;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/** Every tenant's workloads in the admin console, newest first, filtered by state and tenant. */
@Controller
class WorkloadAdminController {

    static final String LIST_VIEW = "admin/workloads/list";
    static final String DETAIL_VIEW = "admin/workloads/detail";

    private final WorkloadQueries queries;
    private final WorkloadLogs logs;
    private final ObjectProvider<ServiceActions> services;

    WorkloadAdminController(WorkloadQueries queries, WorkloadLogs logs, ObjectProvider<ServiceActions> services) {
        this.queries = queries;
        this.logs = logs;
        this.services = services;
    }

    @GetMapping("/admin/workloads")
    String list(@RequestParam(required = false) WorkloadState state, @RequestParam(required = false) String tenant,
            @RequestParam(required = false) Integer page, Model model) {
        String slug = tenant == null || tenant.isBlank() ? null : tenant.trim();
        Slice<WorkloadRow> rows = queries.list(null, slug, state, Paging.page(page));
        model.addAttribute("workloads", rows.getContent());
        model.addAttribute("pager", Pager.of(rows));
        model.addAttribute("state", state);
        model.addAttribute("tenant", slug);
        model.addAttribute("states", WorkloadState.values());
        model.addAttribute("refresh", rows.getContent().stream().anyMatch(WorkloadRow::isActive));
        return LIST_VIEW;
    }

    @GetMapping("/admin/workloads/{id}")
    String detail(@PathVariable UUID id, Model model) {
        WorkloadDetail w = find(id);
        model.addAttribute("w", w);
        model.addAttribute("canManageService", services.getIfAvailable() != null);
        model.addAttribute("serviceAddress", ServiceActions.addressOf(services.getIfAvailable(), w));
        return DETAIL_VIEW;
    }

    @GetMapping(path = "/admin/workloads/{id}/log", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    SseEmitter follow(CurrentUser me, @PathVariable UUID id,
            @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId) {
        find(id);
        return logs.follow(id, me, lastEventId);
    }

    @GetMapping("/admin/workloads/{id}/log.txt")
    ResponseEntity<String> logText(@PathVariable UUID id) {
        return WorkloadPortalController.logResponse(find(id), logs.text(id));
    }

    @GetMapping("/admin/workloads/{id}/artifacts")
    ResponseEntity<byte[]> artifacts(@PathVariable UUID id) {
        WorkloadDetail w = find(id);
        return WorkloadPortalController.artifactResponse(w,
                logs.artifacts(id).orElseThrow(() -> new NotFoundException("no artifacts of " + id)));
    }

    private WorkloadDetail find(UUID id) {
        return queries.find(id, null).orElseThrow(() -> new NotFoundException("no workload " + id));
    }
}
