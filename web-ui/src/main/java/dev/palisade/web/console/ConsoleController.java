package dev.palisade.web.console;

import dev.palisade.model.user.LoginUser;
import dev.palisade.model.user.Role;
import dev.palisade.model.user.UserService;
import java.security.Principal;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;

/**
 * Login page and the two landing pages. The console and portal pages themselves come later;
 * these make the console's security chain (form login, CSRF, session, logout) real.
 */
@Controller
class ConsoleController {

    static final String LOGIN_VIEW = "login";
    static final String ADMIN_VIEW = "admin/index";
    static final String PORTAL_VIEW = "portal/index";

    private final UserService users;

    ConsoleController(UserService users) {
        this.users = users;
    }

    @GetMapping("/login")
    String login() {
        return LOGIN_VIEW;
    }

    @GetMapping("/")
    String home(Principal principal) {
        boolean admin = users.findForLogin(principal.getName()).map(u -> u.role() == Role.PLATFORM_ADMIN).orElse(false);
        return admin ? "redirect:/admin" : "redirect:/portal";
    }

    @GetMapping("/admin")
    String admin(Principal principal, Model model) {
        model.addAttribute("username", principal.getName());
        return ADMIN_VIEW;
    }

    @GetMapping("/portal")
    String portal(Principal principal, Model model) {
        model.addAttribute("username", principal.getName());
        model.addAttribute("tenant", users.findForLogin(principal.getName()).map(LoginUser::tenantSlug).orElse(""));
        return PORTAL_VIEW;
    }
}
