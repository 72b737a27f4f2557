package dev.palisade.web.platform;

import dev.palisade.web.support.Pager;
import dev.palisade.web.support.Paging;
import org.springframework.data.domain.Slice;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

/** The platform's own pages in the admin console: nodes, images, security events. */
@Controller
class PlatformAdminController {

    static final String NODES_VIEW = "admin/nodes";
    static final String IMAGES_VIEW = "admin/images";
    static final String SECURITY_VIEW = "admin/security";

    private final PlatformQueries queries;

    PlatformAdminController(PlatformQueries queries) {
        this.queries = queries;
    }

    @GetMapping("/admin/nodes")
    String nodes(Model model) {
        model.addAttribute("nodes", queries.nodes());
        return NODES_VIEW;
    }

    @GetMapping("/admin/images")
    String images(Model model) {
        model.addAttribute("images", queries.images());
        return IMAGES_VIEW;
    }

    @GetMapping("/admin/security")
    String security(@RequestParam(required = false) String tenant, @RequestParam(required = false) String kind,
            @RequestParam(required = false) Integer page, Model model) {
        String t = tenant == null || tenant.isBlank() ? null : tenant.trim();
        String k = kind == null || kind.isBlank() ? null : kind.trim();
        Slice<PlatformQueries.SecurityEventRow> events = queries.securityEvents(t, k, Paging.page(page));
        model.addAttribute("events", events.getContent());
        model.addAttribute("pager", Pager.of(events));
        model.addAttribute("tenant", t);
        model.addAttribute("kind", k);
        return SECURITY_VIEW;
    }
}
