package dev.palisade.web.platform;

import dev.palisade.web.support.CurrentUser;
import dev.palisade.web.support.FieldRefusal;
import dev.palisade.web.support.Flash;
import dev.palisade.web.support.Pager;
import dev.palisade.web.support.Paging;
import java.io.IOException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.data.domain.Slice;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.validation.BindingResult;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.multipart.MultipartFile;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/** The platform's own pages in the admin console: nodes, images (and their import), security events. */
@Controller
class PlatformAdminController {

    static final String NODES_VIEW = "admin/nodes";
    static final String IMAGES_VIEW = "admin/images";
    static final String SECURITY_VIEW = "admin/security";

    private final PlatformQueries queries;
    private final ObjectProvider<ImageImports> imports;

    PlatformAdminController(PlatformQueries queries, ObjectProvider<ImageImports> imports) {
        this.queries = queries;
        this.imports = imports;
    }

    @GetMapping("/admin/nodes")
    String nodes(Model model) {
        model.addAttribute("nodes", queries.nodes());
        return NODES_VIEW;
    }

    @GetMapping("/admin/images")
    String images(Model model) {
        model.addAttribute("imageForm", new ImageForm());
        return renderImages(model);
    }

    /** Imports an uploaded OCI archive; what the importer refuses is shown on its field, with what was typed. */
    @PostMapping("/admin/images")
    String importImage(CurrentUser me, ImageForm imageForm, BindingResult result, Model model,
            RedirectAttributes redirect) throws IOException {
        ImageImports platform = imports.getIfAvailable();
        if (platform == null) {
            throw new ResponseStatusException(HttpStatus.NOT_FOUND);
        }
        if (imageForm.getName() == null || imageForm.getName().isEmpty()) {
            result.rejectValue("name", "NotBlank");
        }
        MultipartFile archive = imageForm.getArchive();
        if (archive == null || archive.isEmpty()) {
            result.rejectValue("archive", "NotBlank");
        }
        if (result.hasErrors()) {
            return renderImages(model);
        }
        try {
            platform.importOci(me.username(), imageForm.getName(), imageForm.getDescription(), archive.getBytes());
        } catch (FieldRefusal refused) {
            String field = refused.field() == null ? "archive" : switch (refused.field()) {
                case "name", "description", "archive" -> refused.field();
                default -> "archive";
            };
            result.rejectValue(field, "platform", new Object[] {refused.getMessage()}, refused.getMessage());
            return renderImages(model);
        }
        Flash.success(redirect, "flash.image.imported", imageForm.getName());
        return "redirect:/admin/images";
    }

    private String renderImages(Model model) {
        model.addAttribute("images", queries.images());
        model.addAttribute("importAvailable", imports.getIfAvailable() != null);
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
