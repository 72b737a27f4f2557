package dev.palisade.web.support;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ModelAttribute;

/** What both layouts show on every page: who is signed in (and of which tenant). */
@ControllerAdvice(basePackages = "dev.palisade.web")
class LayoutModel {

    private final CurrentUserResolver resolver;

    LayoutModel(CurrentUserResolver resolver) {
        this.resolver = resolver;
    }

    @ModelAttribute("consoleFeatures")
    ConsoleFeatures features() {
        return new ConsoleFeatures(false, false, false, false);
    }

    @ModelAttribute("me")
    CurrentUser me(HttpServletRequest request) {
        return request.getUserPrincipal() == null ? null : resolver.resolve(request);
    }
}
