package dev.palisade.web.member;

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
import dev.palisade.web.user.UserForm;
import dev.palisade.web.user.UserQueries;
import dev.palisade.web.user.UserRow;
import jakarta.validation.Valid;
import java.util.UUID;
import org.springframework.data.domain.Page;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.validation.BindingResult;
import org.springframework.web.bind.WebDataBinder;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.InitBinder;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * The tenant's members in the portal. Everybody sees the list; only a tenant admin invites,
 * removes and changes roles, and never their own (so a tenant cannot lose its last admin by a
 * slip of the hand).
 */
@Controller
@RequestMapping("/portal/members")
class MemberController {

    static final String VIEW = "portal/members";

    private final UserService users;
    private final UserQueries queries;
    private final TenantService tenants;

    MemberController(UserService users, UserQueries queries, TenantService tenants) {
        this.users = users;
        this.queries = queries;
        this.tenants = tenants;
    }

    @InitBinder
    void noIds(WebDataBinder binder) {
        binder.setDisallowedFields("id", "tenant", "tenantId");
    }

    @GetMapping
    String list(CurrentUser me, @RequestParam(required = false) Integer page, Model model) {
        UserForm form = new UserForm();
        model.addAttribute("userForm", form);
        return render(me, page, model);
    }

    @PostMapping
    String invite(CurrentUser me, @Valid UserForm userForm, BindingResult result, Model model,
            RedirectAttributes redirect) {
        Tenant tenant = managed(me);
        if (!result.hasErrors()) {
            try {
                users.create(me.username(), tenant, userForm.getUsername(), userForm.getPassword(),
                        Role.valueOf(userForm.getRole()));
                Flash.success(redirect, "flash.member.invited", userForm.getUsername(), tenant.getSlug());
                return "redirect:/portal/members";
            } catch (ConflictException taken) {
                result.rejectValue("username", "taken");
            }
        }
        userForm.setPassword(null);
        return render(me, null, model);
    }

    @PostMapping("/{id}/role")
    String changeRole(CurrentUser me, @PathVariable UUID id, @RequestParam Role role, RedirectAttributes redirect) {
        Tenant tenant = managed(me);
        User member = users.get(tenant, id);
        if (member.getId() == me.id()) {
            Flash.error(redirect, "flash.member.notYourself");
            return "redirect:/portal/members";
        }
        if (!role.isTenantRole()) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST);
        }
        String name = users.changeRole(me.username(), tenant, member.getId(), role).getUsername();
        Flash.success(redirect, "flash.member.role", name);
        return "redirect:/portal/members";
    }

    @PostMapping("/{id}/delete")
    String remove(CurrentUser me, @PathVariable UUID id, RedirectAttributes redirect) {
        Tenant tenant = managed(me);
        User member = users.get(tenant, id);
        if (member.getId() == me.id()) {
            Flash.error(redirect, "flash.member.notYourself");
            return "redirect:/portal/members";
        }
        String name = member.getUsername();
        users.remove(me.username(), tenant, member.getId());
        Flash.success(redirect, "flash.member.removed", name);
        return "redirect:/portal/members";
    }

    private String render(CurrentUser me, Integer page, Model model) {
        Page<UserRow> found = queries.search(null, me.tenantId(), Paging.page(page));
        model.addAttribute("members", found.getContent());
        model.addAttribute("pager", Pager.of(found));
        model.addAttribute("roles", new Role[] {Role.TENANT_ADMIN, Role.TENANT_MEMBER});
        return VIEW;
    }

    private Tenant managed(CurrentUser me) {
        me.requireTenantAdmin();
        return tenants.get(me.tenantSlug());
    }
}
