package dev.palisade.web.console;

import dev.palisade.model.user.Role;
import dev.palisade.model.user.UserService;
import java.security.Principal;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;

/** The login page, and the root address sending each person to their front end. */
@Controller
class ConsoleController {

    static final String LOGIN_VIEW = "login";

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
}
