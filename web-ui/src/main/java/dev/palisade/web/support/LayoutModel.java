package dev.palisade.web.support;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ModelAttribute;

/** What both layouts show on every page: who is signed in (and of which tenant). */
@ControllerAdvice(basePackages = "dev.palisade.web")
class LayoutModel {

    private final CurrentUserResolver resolver;
    private final boolean workloadActions;

    LayoutModel(CurrentUserResolver resolver, org.springframework.context.ApplicationContext context) {
        this.resolver = resolver;
        this.workloadActions = context.getBeanNamesForType(dev.palisade.web.workload.WorkloadActions.class).length > 0;
    }

    @ModelAttribute("consoleFeatures")
    ConsoleFeatures features() {
        return new ConsoleFeatures(true, true, true, workloadActions);
    }

    @ModelAttribute("me")
    CurrentUser me(HttpServletRequest request) {
        return request.getUserPrincipal() == null ? null : resolver.resolve(request);
    }
}
