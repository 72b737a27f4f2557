package dev.palisade.web.token;

import dev.palisade.model.PlainText;
import dev.palisade.model.token.TokenScope;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/** A new API token: a name to tell it apart, how many days it lives, and what it may do. */
class TokenForm {

    @NotNull
    private TokenScope scope = TokenScope.FULL;

    public TokenScope getScope() {
        return scope;
    }

    public void setScope(TokenScope scope) {
        this.scope = scope;
    }

    @NotBlank
    @Size(max = 100)
    @Pattern(regexp = PlainText.PATTERN)
    private String name;

    @NotNull
    @Min(1)
    @Max(365)
    private Integer expiresInDays = 90;

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name == null ? null : name.trim();
    }

    public Integer getExpiresInDays() {
        return expiresInDays;
    }

    public void setExpiresInDays(Integer expiresInDays) {
        this.expiresInDays = expiresInDays;
    }
}
