package dev.palisade.web.account;

import dev.palisade.web.support.CurrentUser;
import dev.palisade.web.support.Flash;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * {@code /account/second-factor}: any signed-in user sets up TOTP (the secret and an
 * {@code otpauth://} URI to type or paste into an authenticator app, confirmed with a first code),
 * sees the recovery codes once, and turns it off again with the password and a code.
 */
@Controller
class SecondFactorPageController {

    static final String VIEW = "account/second-factor";

    private final SecondFactorActions secondFactor;

    SecondFactorPageController(SecondFactorActions secondFactor) {
        this.secondFactor = secondFactor;
    }

    @GetMapping("/account/second-factor")
    String page(CurrentUser me, Model model) {
        return show(me, model);
    }

    @PostMapping("/account/second-factor/setup")
    String setup(CurrentUser me, Model model) {
        try {
            secondFactor.begin(me);
        } catch (SecondFactorActions.Refused refused) {
            refuse(model, refused);
        }
        return show(me, model);
    }

    @PostMapping("/account/second-factor/confirm")
    String confirm(CurrentUser me, @RequestParam(defaultValue = "") String code, Model model) {
        try {
            model.addAttribute("recoveryCodes", secondFactor.confirm(me, code));
            return "account/recovery-codes";
        } catch (SecondFactorActions.Refused refused) {
            refuse(model, refused);
            return show(me, model);
        }
    }

    @PostMapping("/account/second-factor/disable")
    String disable(CurrentUser me, @RequestParam(defaultValue = "") String currentPassword,
            @RequestParam(defaultValue = "") String code, Model model, RedirectAttributes redirect) {
        try {
            secondFactor.disable(me, currentPassword, code);
        } catch (SecondFactorActions.Refused refused) {
            refuse(model, refused);
            return show(me, model);
        }
        Flash.success(redirect, "flash.secondFactor.disabled");
        return "redirect:/account/second-factor";
    }

    private String show(CurrentUser me, Model model) {
        model.addAttribute("status", secondFactor.status(me));
        secondFactor.pending(me).ifPresent(setup -> model.addAttribute("setup", setup));
        model.addAttribute("home", me.isPlatformAdmin() ? "/admin" : "/portal");
        return VIEW;
    }

    private static void refuse(Model model, SecondFactorActions.Refused refused) {
        model.addAttribute("errorField", refused.field);
        model.addAttribute("error", refused.getMessage());
    }
}
