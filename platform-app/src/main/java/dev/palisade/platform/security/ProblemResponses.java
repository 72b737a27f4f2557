package dev.palisade.platform.security;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.access.AccessDeniedHandler;

/** 401 and 403 from the API's filter chains as application/problem+json, like every other API error. */
final class ProblemResponses {

    private ProblemResponses() {
    }

    static AuthenticationEntryPoint entryPoint(String challenge) {
        return (request, response, e) -> {
            response.setHeader(HttpHeaders.WWW_AUTHENTICATE, challenge);
            write(response, HttpStatus.UNAUTHORIZED, detail(e));
        };
    }

    static AccessDeniedHandler accessDenied() {
        return (request, response, e) -> write(response, HttpStatus.FORBIDDEN, "Not allowed for your role");
    }

    private static String detail(AuthenticationException e) {
        if (e instanceof OAuth2AuthenticationException) {
            return "The bearer token is invalid, expired or revoked";
        }
        if (e instanceof LocalPasswordsOff) {
            return LocalPasswordsOff.MESSAGE;
        }
        if (e instanceof BadCredentialsException) {
            // one text for every cause: it must not tell whether the account exists or is suspended
            // (the second factor's own text comes only after the right password)
            return PasswordLoginProvider.SECOND_FACTOR_FAILURE.equals(e.getMessage())
                    ? PasswordLoginProvider.SECOND_FACTOR_FAILURE : PasswordLoginProvider.FAILURE;
        }
        return "Authentication required: send Authorization: Bearer <token>";
    }

    static void write(HttpServletResponse response, HttpStatus status, String detail) throws IOException {
        response.setStatus(status.value());
        response.setContentType("application/problem+json");
        response.setCharacterEncoding("UTF-8");
        // fixed texts only: nothing from the request is echoed
        response.getWriter().write("{\"type\":\"about:blank\",\"title\":\"" + status.getReasonPhrase()
                + "\",\"status\":" + status.value() + ",\"detail\":\"" + detail + "\"}");
    }
}
