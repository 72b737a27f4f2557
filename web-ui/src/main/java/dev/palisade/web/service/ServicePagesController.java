package dev.palisade.web.service;

import dev.palisade.model.NotFoundException;
import dev.palisade.web.support.CurrentUser;
import dev.palisade.web.support.Flash;
import java.io.IOException;
import java.util.UUID;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.WebDataBinder;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.InitBinder;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.multipart.MultipartFile;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * Services in the portal (the signed-in user's tenant only) and in the console (every tenant,
 * platform admins): list, deploy, a service's page with its live log and history, and its
 * actions. Every action goes through {@link ServiceConsole}, that is the REST API's own checks.
 */
@Controller
class ServicePagesController {

    static final String LIST = "portal/services/list";
    static final String FORM = "portal/services/deploy";
    static final String PAGE = "portal/services/detail";
    private static final String PORTAL_LAYOUT = "portal/fragments/layout";
    private static final String ADMIN_LAYOUT = "admin/fragments/layout";

    private final ServiceConsole services;

    ServicePagesController(ServiceConsole services) {
        this.services = services;
    }

    @InitBinder("deployForm")
    void noIds(WebDataBinder binder) {
        binder.setDisallowedFields("id", "tenant", "tenantId", "archive");
    }

    @GetMapping("/portal/services")
    String portalList(CurrentUser me, Model model) {
        model.addAttribute("services", services.list(me, me.tenantSlug()));
        model.addAttribute("base", "/portal");
        model.addAttribute("layout", PORTAL_LAYOUT);
        return LIST;
    }

    @GetMapping("/admin/services")
    String adminList(CurrentUser me, Model model) {
        model.addAttribute("services", services.list(me, null));
        model.addAttribute("base", "/admin");
        model.addAttribute("layout", ADMIN_LAYOUT);
        return LIST;
    }

    @GetMapping("/portal/services/new")
    String form(CurrentUser me, Model model) {
        if (!model.containsAttribute("deployForm")) {
            model.addAttribute("deployForm", new DeployForm());
        }
        model.addAttribute("images", services.images(me));
        model.addAttribute("secretNames", services.secrets(me, me.tenantSlug()));
        return FORM;
    }

    @PostMapping("/portal/services/new")
    String deploy(CurrentUser me, @ModelAttribute("deployForm") DeployForm form,
            @RequestParam(name = "archive", required = false) MultipartFile archive, Model model,
            RedirectAttributes redirect) throws IOException {
        byte[] code = archive == null || archive.isEmpty() ? null : archive.getBytes();
        try {
            services.deploy(me, me.tenantSlug(), new ServiceConsole.Deploy(form.getName(), form.getImage(),
                    form.commandLines(), form.envMap(), form.getPort(), form.getHealthPath(), form.getRestartPolicy(),
                    form.secretMap(), form.getCpuCores(),
                    form.getMemoryMb() == null ? null : form.getMemoryMb() * 1024 * 1024, form.getPlatform(), code,
                    form.volumeMounts(), form.getNetwork(),
                    form.isScaleToZero() ? 0 : null, form.isScaleToZero() ? form.getIdleTimeoutSeconds() : null,
                    form.getInstances()));
        } catch (ServiceConsole.Refused e) {
            model.addAttribute("refusal", e.getMessage());
            return form(me, model);
        }
        Flash.success(redirect, "flash.service.deployed", form.getName());
        return "redirect:/portal/services/" + form.getName();
    }

    @GetMapping("/portal/services/{name}")
    String portalPage(CurrentUser me, @PathVariable String name, Model model) {
        return page(me, me.tenantSlug(), name, "/portal", model);
    }

    @GetMapping("/admin/services/{tenant}/{name}")
    String adminPage(CurrentUser me, @PathVariable String tenant, @PathVariable String name, Model model) {
        return page(me, tenant, name, "/admin", model);
    }

    private String page(CurrentUser me, String tenant, String name, String base, Model model) {
        model.addAttribute("service", services.get(me, tenant, name));
        model.addAttribute("history", services.history(me, tenant, name));
        model.addAttribute("base", base);
        model.addAttribute("layout", base.equals("/portal") ? PORTAL_LAYOUT : ADMIN_LAYOUT);
        model.addAttribute("actions", base.equals("/portal") ? "/portal/services/" + name
                : "/admin/services/" + tenant + "/" + name);
        return PAGE;
    }

    @PostMapping({"/portal/services/{name}/{action}", "/admin/services/{tenant}/{name}/{action}"})
    String act(CurrentUser me, @PathVariable(required = false) String tenant, @PathVariable String name,
            @PathVariable String action, @RequestParam(name = "to", required = false) UUID to, RedirectAttributes redirect) {
        String slug = tenant == null ? me.tenantSlug() : tenant;
        String page = tenant == null ? "/portal/services/" + name : "/admin/services/" + tenant + "/" + name;
        // a service the tenant does not have (another tenant's name among them) is not found, as its page is
        services.get(me, slug, name);
        try {
            switch (action) {
                case "stop" -> services.stop(me, slug, name);
                case "start" -> services.start(me, slug, name);
                case "redeploy" -> services.redeploy(me, slug, name);
                case "rollback" -> services.rollBack(me, slug, name, to);
                case "delete" -> {
                    services.delete(me, slug, name);
                    Flash.success(redirect, "flash.service.deleted", name);
                    return "redirect:" + (tenant == null ? "/portal/services" : "/admin/services");
                }
                default -> throw new NotFoundException("no action " + action);
            }
            Flash.success(redirect, "flash.service." + action, name);
        } catch (ServiceConsole.Refused e) {
            Flash.error(redirect, "flash.service.refused", name, e.getMessage());
        }
        return "redirect:" + page;
    }
}
