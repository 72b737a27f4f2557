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
 * the state did not match, it could not be reached). Refusals of ours were audited where decided;
 * the others here.
 */
@Controller
public class SsoRefusals implements AuthenticationFailureHandler {

    public static final String PATH = "/login/sso-refused";
    private static final String REASON = SsoRefusals.class.getName() + ".reason";
    private static final String START = "/oauth2/authorization/", CALLBACK = "/login/oauth2/code/";

    private final SsoAccounts accounts;
    private final SsoProviders providers;

    SsoRefusals(SsoAccounts accounts, SsoProviders providers) {
        this.accounts = accounts;
        this.providers = providers;
    }

    @Override
    public void onAuthenticationFailure(HttpServletRequest request, HttpServletResponse response,
            AuthenticationException failure) throws IOException {
        String reason;
        if (failure instanceof SsoRefused refused) {
            reason = refused.reason();
        } else {
            String uri = request.getRequestURI();
            boolean starting = uri.contains(START);
            String provider = after(uri, starting ? START : CALLBACK);
            String code = failure instanceof OAuth2AuthenticationException o ? o.getError().getErrorCode() : "error";
            reason = starting
                    ? "The provider " + provider + " cannot be reached right now, or is no longer configured here. Try "
                            + "again later, or ask your platform admin."
                    : "The sign-in through your provider did not complete (" + code + "). Nothing was created; try "
                            + "again from the login page.";
            // anybody can ask for /oauth2/authorization/<anything>: only a configured provider's failure is news
            if (!starting || providers.find(provider).isPresent()) {
                accounts.refused(provider, null, null, code + ": " + failure.getMessage());
            }
        }
        request.getSession().setAttribute(REASON, reason);
        response.sendRedirect(request.getContextPath() + PATH);
    }

    /** The provider's id in a path ending in {@code marker}{id}, cut to an id's length. */
    private static String after(String uri, String marker) {
        int at = uri.indexOf(marker);
        String id = at < 0 ? "unknown" : uri.substring(at + marker.length());
        return id.length() > 40 ? id.substring(0, 40) : id;
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
