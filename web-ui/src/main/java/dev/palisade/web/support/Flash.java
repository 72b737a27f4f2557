package dev.palisade.web.support;

import java.io.Serializable;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * The one-line message shown after an action, on the page the action redirects to
 * (POST-redirect-GET). Only a message key and its arguments travel; the layout resolves them.
 */
public record Flash(String kind, String key, Object[] args) implements Serializable {

    public static final String ATTRIBUTE = "flash";

    public static void success(RedirectAttributes redirect, String key, Object... args) {
        redirect.addFlashAttribute(ATTRIBUTE, new Flash("success", key, args));
    }

    public static void error(RedirectAttributes redirect, String key, Object... args) {
        redirect.addFlashAttribute(ATTRIBUTE, new Flash("error", key, args));
    }
}
