package dev.palisade.web.console;

import dev.palisade.model.user.Role;
import dev.palisade.model.user.UserService;
import dev.palisade.web.sso.SsoActions;
import java.security.Principal;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;

/** The login page, and the root address sending each person to their front end. */
@Controller
class ConsoleController {

    static final String LOGIN_VIEW = "login";

    private final UserService users;
    private final SsoActions sso;

    ConsoleController(UserService users, SsoActions sso) {
        this.users = users;
        this.sso = sso;
    }

    @GetMapping("/login")
    String login(Model model) {
        model.addAttribute("ssoButtons", sso.loginButtons());
        return LOGIN_VIEW;
    }

    @GetMapping("/")
    String home(Principal principal) {
        boolean admin = users.findForLogin(principal.getName()).map(u -> u.role() == Role.PLATFORM_ADMIN).orElse(false);
        return admin ? "redirect:/admin" : "redirect:/portal";
    }
}
