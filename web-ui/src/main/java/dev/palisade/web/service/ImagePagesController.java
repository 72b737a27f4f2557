package dev.palisade.web.service;

import dev.palisade.web.support.CurrentUser;
import dev.palisade.web.support.Flash;
import java.io.IOException;
import java.io.InputStream;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.multipart.MultipartFile;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * The tenant's own images in the portal: the list, an upload (a plain form, which the page's
 * script sends itself to show its progress), and delete.
 */
@Controller
class ImagePagesController {

    static final String VIEW = "portal/images";

    private final ImageConsole images;

    ImagePagesController(ImageConsole images) {
        this.images = images;
    }

    @GetMapping("/portal/images")
    String list(CurrentUser me, Model model) {
        model.addAttribute("images", images.list(me));
        model.addAttribute("canManage", me.isTenantAdmin());
        return VIEW;
    }

    /** The upload streams from the request's temporary file; the page's script follows the redirect. */
    @PostMapping("/portal/images")
    String upload(CurrentUser me, @RequestParam String name, @RequestParam("archive") MultipartFile archive,
            RedirectAttributes redirect) throws IOException {
        me.requireTenantAdmin();
        try (InputStream in = archive.getInputStream()) {
            images.upload(me, name.strip(), in);
            Flash.success(redirect, "flash.image.uploaded", name.strip());
        } catch (ServiceConsole.Refused e) {
            Flash.error(redirect, "flash.image.refused", e.getMessage());
        }
        return "redirect:/portal/images";
    }

    @PostMapping("/portal/images/{name}/delete")
    String delete(CurrentUser me, @PathVariable String name, RedirectAttributes redirect) {
        me.requireTenantAdmin();
        try {
            images.delete(me, name);
            Flash.success(redirect, "flash.image.deleted", name);
        } catch (ServiceConsole.Refused e) {
            Flash.error(redirect, "flash.image.refused", e.getMessage());
        }
        return "redirect:/portal/images";
    }
}
