package dev.palisade.web.user;

import dev.palisade.model.ConflictException;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.tenant.TenantService;
import dev.palisade.model.user.Role;
import dev.palisade.model.user.User;
import dev.palisade.model.user.UserService;
import dev.palisade.web.support.CurrentUser;
import dev.palisade.web.support.Flash;
import dev.palisade.web.support.Pager;
import dev.palisade.web.support.Paging;
import jakarta.validation.Valid;
import java.util.UUID;
import org.springframework.data.domain.Page;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.validation.BindingResult;
import org.springframework.web.bind.WebDataBinder;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.InitBinder;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/** Users in the admin console: every tenant's users, and creating or removing a tenant's user. */
@Controller
class UserAdminController {

    static final String LIST_VIEW = "admin/users/list";
    static final String FORM_VIEW = "admin/users/form";

    private final UserService users;
    private final UserQueries queries;
    private final TenantService tenants;

    UserAdminController(UserService users, UserQueries queries, TenantService tenants) {
        this.users = users;
        this.queries = queries;
        this.tenants = tenants;
    }

    @InitBinder
    void noIds(WebDataBinder binder) {
        binder.setDisallowedFields("id", "tenant", "tenantId");
    }

    @GetMapping("/admin/users")
    String list(@RequestParam(required = false) String q, @RequestParam(required = false) Integer page, Model model) {
        Page<UserRow> found = queries.search(q, null, Paging.page(page));
        model.addAttribute("users", found.getContent());
        model.addAttribute("pager", Pager.of(found));
        model.addAttribute("q", q);
        return LIST_VIEW;
    }

    @GetMapping("/admin/tenants/{slug}/users/new")
    String createForm(@PathVariable String slug, Model model) {
        model.addAttribute("tenant", tenants.get(slug));
        UserForm form = new UserForm();
        form.setRole(Role.TENANT_ADMIN.name());
        model.addAttribute("userForm", form);
        return FORM_VIEW;
    }

    @PostMapping("/admin/tenants/{slug}/users/new")
    String create(CurrentUser me, @PathVariable String slug, @Valid UserForm userForm, BindingResult result,
            Model model, RedirectAttributes redirect) {
        Tenant tenant = tenants.get(slug);
        if (!result.hasErrors()) {
            try {
                users.create(me.username(), tenant, userForm.getUsername(), userForm.getPassword(),
                        Role.valueOf(userForm.getRole()));
                Flash.success(redirect, "flash.user.created", userForm.getUsername(), slug);
                return "redirect:/admin/tenants/" + slug;
            } catch (ConflictException taken) {
                result.rejectValue("username", "taken");
            }
        }
        userForm.setPassword(null);
        model.addAttribute("tenant", tenant);
        return FORM_VIEW;
    }

    @PostMapping("/admin/tenants/{slug}/users/{id}/delete")
    String delete(CurrentUser me, @PathVariable String slug, @PathVariable UUID id, RedirectAttributes redirect) {
        Tenant tenant = tenants.get(slug);
        User user = users.get(tenant, id);
        String name = user.getUsername();
        users.remove(me.username(), tenant, user.getId());
        Flash.success(redirect, "flash.user.removed", name);
        return "redirect:/admin/tenants/" + slug;
    }
}
