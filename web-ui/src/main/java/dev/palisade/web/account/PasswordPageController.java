package dev.palisade.web.account;

import dev.palisade.web.support.CurrentUser;
import dev.palisade.web.support.Flash;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpSession;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * {@code /account/password}: any signed-in user changes their password; afterwards this session
 * ends too and the login page asks for the new one. Also where a one-time password leads. A
 * tenant admin resets a member's password from the members page.
 */
@Controller
class PasswordPageController {

    static final String VIEW = "account/password";

    private final PasswordActions passwords;

    PasswordPageController(PasswordActions passwords) {
        this.passwords = passwords;
    }

    @GetMapping("/account/password")
    String form() {
        return VIEW;
    }

    @PostMapping("/account/password")
    String change(CurrentUser me, @RequestParam String currentPassword, @RequestParam String newPassword,
            @RequestParam String confirmPassword, Model model, HttpServletRequest request) throws ServletException {
        if (!newPassword.equals(confirmPassword)) {
            model.addAttribute("errorField", "confirmPassword");
            model.addAttribute("error", "does not match the new password");
            return VIEW;
        }
        try {
            passwords.change(me, currentPassword, newPassword);
        } catch (PasswordActions.Refused refused) {
            model.addAttribute("errorField", refused.field);
            model.addAttribute("error", refused.getMessage());
            return VIEW;
        }
        request.logout();
        HttpSession session = request.getSession(false);
        if (session != null) {
            session.invalidate();
        }
        return "redirect:/login?changed";
    }

    @PostMapping("/portal/members/{id}/password-reset")
    String reset(CurrentUser me, @PathVariable java.util.UUID id, RedirectAttributes redirect) {
        me.requireTenantAdmin();
        String once = passwords.reset(me, id).orElseThrow(() -> new ResponseStatusException(HttpStatus.NOT_FOUND));
        Flash.success(redirect, "flash.member.reset", once);
        return "redirect:/portal/members";
    }
}
