package dev.palisade.web.support;

import dev.palisade.model.NotFoundException;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.server.ResponseStatusException;

/**
 * Errors of the console and portal pages as pages, ahead of the API's problem+json handler.
 * Something that does not exist and something that belongs to another tenant look the same:
 * not found. A malformed id in a URL is not found either.
 */
@ControllerAdvice(basePackages = "dev.palisade.web")
@Order(Ordered.HIGHEST_PRECEDENCE)
class ConsoleErrors {

    static final String VIEW = "error";

    @ExceptionHandler({NotFoundException.class, MethodArgumentTypeMismatchException.class})
    @ResponseStatus(HttpStatus.NOT_FOUND)
    String notFound(Model model) {
        model.addAttribute("status", 404);
        return VIEW;
    }

    @ExceptionHandler(ResponseStatusException.class)
    String status(ResponseStatusException e, HttpServletResponse response, Model model) {
        response.setStatus(e.getStatusCode().value());
        model.addAttribute("status", e.getStatusCode().value());
        return VIEW;
    }
}
