package dev.palisade.web.workload;

import dev.palisade.model.NotFoundException;
import dev.palisade.model.workload.WorkloadState;
import dev.palisade.web.support.CurrentUser;
import dev.palisade.web.support.Pager;
import dev.palisade.web.support.Paging;
import java.util.UUID;
import org.springframework.data.domain.Slice;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * The tenant's workloads in the portal. The tenant is the signed-in user's, never one from the
 * URL: another tenant's workload id answers 404 like one that does not exist.
 */
@Controller
class WorkloadPortalController {

    static final String LIST_VIEW = "portal/workloads/list";
    static final String DETAIL_VIEW = "portal/workloads/detail";

    private final WorkloadQueries queries;

    WorkloadPortalController(WorkloadQueries queries) {
        this.queries = queries;
    }

    @GetMapping("/portal/workloads")
    String list(CurrentUser me, @RequestParam(required = false) WorkloadState state,
            @RequestParam(required = false) Integer page, Model model) {
        Slice<WorkloadRow> rows = queries.list(me.tenantId(), null, state, Paging.page(page));
        model.addAttribute("workloads", rows.getContent());
        model.addAttribute("pager", Pager.of(rows));
        model.addAttribute("state", state);
        model.addAttribute("states", WorkloadState.values());
        model.addAttribute("refresh", queries.anyActive(me.tenantId()));
        return LIST_VIEW;
    }

    @GetMapping("/portal/workloads/{id}")
    String detail(CurrentUser me, @PathVariable UUID id, Model model) {
        model.addAttribute("w",
                queries.find(id, me.tenantId()).orElseThrow(() -> new NotFoundException("no workload " + id)));
        return DETAIL_VIEW;
    }
}
