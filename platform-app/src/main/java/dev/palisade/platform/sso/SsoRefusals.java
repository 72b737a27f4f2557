package dev.palisade.platform.sso;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.web.authentication.AuthenticationFailureHandler;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;

/**
 * A single sign-on that did not end in a login, shown on its own page ({@link #PATH}) with the
 * reason: ours (no mapping, no verified email…) or the provider's (it answered with an error,
 * the state did not match). Refusals of ours were audited where decided; the others here.
 */
@Controller
public class SsoRefusals implements AuthenticationFailureHandler {

    public static final String PATH = "/login/sso-refused";
    private static final String REASON = SsoRefusals.class.getName() + ".reason";
    private static final String CALLBACK = "/login/oauth2/code/";

    private final SsoAccounts accounts;

    SsoRefusals(SsoAccounts accounts) {
        this.accounts = accounts;
    }

    @Override
    public void onAuthenticationFailure(HttpServletRequest request, HttpServletResponse response,
            AuthenticationException failure) throws IOException {
        String reason;
        if (failure instanceof SsoRefused refused) {
            reason = refused.reason();
        } else {
            String code = failure instanceof OAuth2AuthenticationException o ? o.getError().getErrorCode() : "error";
            reason = "The sign-in through your provider did not complete (" + code + "). Nothing was created; try again "
                    + "from the login page.";
            String uri = request.getRequestURI();
            int at = uri.indexOf(CALLBACK);
            String provider = at < 0 ? "unknown" : uri.substring(at + CALLBACK.length());
            accounts.refused(provider.length() > 40 ? provider.substring(0, 40) : provider, null, null,
                    code + ": " + String.valueOf(failure.getMessage()));
        }
        request.getSession().setAttribute(REASON, reason);
        response.sendRedirect(request.getContextPath() + PATH);
    }

    @GetMapping(PATH)
    String page(HttpServletRequest request, Model model) {
        Object reason = request.getSession(false) == null ? null : request.getSession(false).getAttribute(REASON);
        if (reason == null) {
            return "redirect:/login";
        }
        model.addAttribute("reason", reason);
        return "login-refused";
    }
}
