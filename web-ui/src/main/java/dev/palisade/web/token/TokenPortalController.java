package dev.palisade.web.token;

import dev.palisade.model.token.ApiToken;
import dev.palisade.model.token.MintedToken;
import dev.palisade.model.token.TokenService;
import dev.palisade.web.support.CurrentUser;
import dev.palisade.web.support.Flash;
import dev.palisade.web.support.Pager;
import dev.palisade.web.support.Paging;
import jakarta.validation.Valid;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Sort;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.validation.BindingResult;
import org.springframework.web.bind.WebDataBinder;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.InitBinder;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * The signed-in user's own API tokens in the portal. A new token's secret travels once, as a
 * flash attribute to the page after the redirect, and is never shown again.
 */
@Controller
@RequestMapping("/portal/tokens")
class TokenPortalController {

    static final String VIEW = "portal/tokens";

    private final TokenService tokens;

    TokenPortalController(TokenService tokens) {
        this.tokens = tokens;
    }

    @InitBinder
    void noIds(WebDataBinder binder) {
        binder.setDisallowedFields("id", "user", "userId");
    }

    @GetMapping
    String list(CurrentUser me, @RequestParam(required = false) Integer page, Model model) {
        if (!model.containsAttribute("tokenForm")) {
            model.addAttribute("tokenForm", new TokenForm());
        }
        return render(me, page, model);
    }

    @PostMapping
    String mint(CurrentUser me, @Valid TokenForm tokenForm, BindingResult result, Model model,
            RedirectAttributes redirect) {
        if (result.hasErrors()) {
            return render(me, null, model);
        }
        MintedToken minted = tokens.mint(me.id(), tokenForm.getName(), Duration.ofDays(tokenForm.getExpiresInDays()),
                tokenForm.getScope());
        redirect.addFlashAttribute("newToken", minted.secret());
        Flash.success(redirect, "flash.token.created", minted.token().getName());
        return "redirect:/portal/tokens";
    }

    @PostMapping("/{id}/revoke")
    String revoke(CurrentUser me, @PathVariable UUID id, RedirectAttributes redirect) {
        ApiToken token = tokens.revoke(me.id(), id);
        Flash.success(redirect, "flash.token.revoked", token.getName());
        return "redirect:/portal/tokens";
    }

    private String render(CurrentUser me, Integer page, Model model) {
        Page<ApiToken> found = tokens.list(me.id(), Paging.page(page, Sort.by(Sort.Direction.DESC, "createdAt")));
        model.addAttribute("tokens", found.getContent());
        model.addAttribute("pager", Pager.of(found));
        model.addAttribute("now", Instant.now());
        return VIEW;
    }
}
