package dev.palisade.platform.security;

import dev.palisade.model.user.LoginUser;
import dev.palisade.model.user.UserService;
import dev.palisade.platform.secondfactor.SecondFactors;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;
import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;
import org.springframework.security.authentication.AuthenticationEventPublisher;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.context.HttpSessionSecurityContextRepository;
import org.springframework.security.web.context.SecurityContextRepository;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * The console login's second step, {@code /login/code}. The password step leaves only a
 * {@link Pending} note in the session (who, with which password, until when), never an
 * authentication: until the code is right the session is as anonymous as before. Wrong codes
 * count as failed logins ({@link LoginThrottle}, through {@link LoginThrottleFilter}, which also
 * holds this path back) and are audited; a few in a row, or a few minutes, and the password is
 * asked again.
 */
@Controller
class SecondFactorLoginController {

    static final String PATH = "/login/code";
    static final String VIEW = "login-code";
    private static final String PENDING = SecondFactorLoginController.class.getName() + ".pending";
    private static final int MAX_WRONG_CODES = 5;
    private static final Duration PENDING_FOR = Duration.ofMinutes(5);

    /** A password step passed: whose, with which password (its stamp), until when, and wrong codes so far. */
    record Pending(long userId, String username, String passwordStamp, Instant until, int wrongCodes)
            implements Serializable {
    }

    private final UserService users;
    private final SecondFactors secondFactors;
    private final LoginThrottle throttle;
    private final LoginAudit audit;
    private final AuthenticationEventPublisher events;
    private final SecurityContextRepository contexts = new HttpSessionSecurityContextRepository();

    SecondFactorLoginController(UserService users, SecondFactors secondFactors, LoginThrottle throttle,
            LoginAudit audit, AuthenticationEventPublisher events) {
        this.users = users;
        this.secondFactors = secondFactors;
        this.throttle = throttle;
        this.audit = audit;
        this.events = events;
    }

    /** The console's failure handler: a right password of an account with a second factor leads here. */
    static void passwordAccepted(HttpServletRequest request, HttpServletResponse response, PalisadeUserDetails user)
            throws IOException {
        HttpSession session = request.getSession();
        request.changeSessionId();
        session.setAttribute(PENDING, new Pending(user.caller().userId(), user.getUsername(), user.passwordStamp(),
                Instant.now().plus(PENDING_FOR), 0));
        response.sendRedirect(request.getContextPath() + PATH);
    }

    /** The user name a code is typed for, or null: what {@link LoginThrottleFilter} holds back. */
    static String pendingUsername(HttpServletRequest request) {
        Pending p = pending(request);
        return p == null ? null : p.username();
    }

    private static Pending pending(HttpServletRequest request) {
        HttpSession session = request.getSession(false);
        if (session == null || !(session.getAttribute(PENDING) instanceof Pending p)) {
            return null;
        }
        if (p.until().isBefore(Instant.now())) {
            session.removeAttribute(PENDING);
            return null;
        }
        return p;
    }

    @GetMapping(PATH)
    String form(HttpServletRequest request) {
        return pending(request) == null ? "redirect:/login" : VIEW;
    }

    @PostMapping(PATH)
    String verify(@RequestParam(defaultValue = "") String code, HttpServletRequest request,
            HttpServletResponse response, Model model) {
        Pending p = pending(request);
        if (p == null) {
            return "redirect:/login?error";
        }
        HttpSession session = request.getSession();
        // the account as it is now: deleted, suspended or a changed password since the password step ends it
        LoginUser user = users.findForLogin(p.username())
                .filter(u -> u.id() == p.userId() && u.tenantActive()
                        && PalisadeUserDetails.stamp(u.passwordHash()).equals(p.passwordStamp()))
                .orElse(null);
        String address = request.getRemoteAddr();
        if (user == null || !secondFactors.verify(user.id(), user.username(), code)) {
            throttle.failed(p.username(), address);
            audit.refused(p.username(), address, "wrong second factor code");
            if (user == null || p.wrongCodes() + 1 >= MAX_WRONG_CODES) {
                session.removeAttribute(PENDING);
                return "redirect:/login?error";
            }
            session.setAttribute(PENDING, new Pending(p.userId(), p.username(), p.passwordStamp(), p.until(),
                    p.wrongCodes() + 1));
            model.addAttribute("error", true);
            return VIEW;
        }
        throttle.succeeded(p.username(), address);
        session.removeAttribute(PENDING);
        request.changeSessionId();
        PalisadeUserDetails details = new PalisadeUserDetails(user);
        details.eraseCredentials();
        Authentication authentication = UsernamePasswordAuthenticationToken.authenticated(details, null,
                details.getAuthorities());
        SecurityContext context = SecurityContextHolder.createEmptyContext();
        context.setAuthentication(authentication);
        SecurityContextHolder.setContext(context);
        contexts.saveContext(context, request, response);
        events.publishAuthenticationSuccess(authentication);
        return "redirect:" + SecurityConfiguration.landingPage(authentication);
    }
}
