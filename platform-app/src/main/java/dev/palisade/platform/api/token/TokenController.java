package dev.palisade.platform.api.token;

import dev.palisade.model.PlainText;
import dev.palisade.model.token.ApiToken;
import dev.palisade.model.token.MintedToken;
import dev.palisade.model.token.TokenScope;
import dev.palisade.model.token.TokenService;
import dev.palisade.platform.api.ApiProblems;
import dev.palisade.platform.api.PageResponse;
import dev.palisade.platform.api.Paging;
import dev.palisade.platform.security.Caller;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.springframework.data.domain.Sort;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The caller's own API tokens. A token is always minted for the caller, whatever the body says;
 * another user's token answers 404.
 */
@RestController
@Tag(name = "Tokens", description = "The caller's own API tokens: mint (shown once), list, revoke")
@RequestMapping("/api/v1/tokens")
class TokenController {

    private static final Map<String, String> SORTABLE =
            Map.of("createdAt", "createdAt", "name", "name", "expiresAt", "expiresAt");

    private final TokenService tokens;
    private final Paging paging;

    TokenController(TokenService tokens, Paging paging) {
        this.tokens = tokens;
        this.paging = paging;
    }

    /** {@code scope}: FULL (default) or DEPLOY (services, images, workload reads only). */
    @Schema(description = "A token to mint for the caller", example = "{\"name\": \"ci\", \"expiresInDays\": 30}")
    record MintToken(
            @NotBlank @Size(max = 100) @Pattern(regexp = PlainText.PATTERN, message = PlainText.MESSAGE) String name,
            @Min(1) @Max(365) Integer expiresInDays,
            @Schema(allowableValues = {"FULL", "DEPLOY"}, defaultValue = "FULL") String scope) {
    }

    /** Shown once: the only response that carries the token itself. */
    record MintedTokenResponse(UUID id, String token, String name, String prefix, String owner, Instant createdAt,
            Instant expiresAt, String scope) {
    }

    record TokenResponse(UUID id, String name, String prefix, String owner, Instant createdAt, Instant expiresAt,
            Instant lastUsedAt, Instant revokedAt, String scope) {
        static TokenResponse of(ApiToken t, Caller owner) {
            return new TokenResponse(t.getPublicId(), t.getName(), t.getPrefix(), owner.username(), t.getCreatedAt(),
                    t.getExpiresAt(), t.getLastUsedAt(), t.getRevokedAt(), t.getScope().name());
        }
    }

    @PostMapping
    @Operation(operationId = "mintToken", summary = "Mint a token for the caller",
            description = "With HTTP Basic (the first token) or a bearer token. The token is in this response only; "
                    + "it is stored as a hash. expiresInDays: 1 to 365, default 90; scope: FULL (default) or DEPLOY "
                    + "(deploy and read services and images, read workloads and logs; for CI).",
            security = {@SecurityRequirement(name = "basic"), @SecurityRequirement(name = "bearer")})
    @ApiResponse(responseCode = "201", description = "Minted; the only answer that carries the token")
    @Parameter(in = ParameterIn.HEADER, name = "X-Palisade-OTP", required = false,
            schema = @Schema(type = "string", maxLength = 40),
            description = "With HTTP Basic, for an account with a second factor: the code its authenticator app "
                    + "shows now (each accepted once), or one of its recovery codes")
    ResponseEntity<MintedTokenResponse> mint(Caller caller, @Valid @RequestBody MintToken body) {
        int days = body.expiresInDays() == null ? 90 : body.expiresInDays();
        TokenScope scope;
        try {
            scope = body.scope() == null ? TokenScope.FULL : TokenScope.valueOf(body.scope().trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiProblems.badRequest("scope", "must be FULL or DEPLOY");
        }
        MintedToken minted = tokens.mint(caller.userId(), body.name(), Duration.ofDays(days), scope);
        ApiToken t = minted.token();
        return ResponseEntity.created(URI.create("/api/v1/tokens/" + t.getPublicId()))
                .body(new MintedTokenResponse(t.getPublicId(), minted.secret(), t.getName(), t.getPrefix(),
                        caller.username(), t.getCreatedAt(), t.getExpiresAt(), t.getScope().name()));
    }

    @GetMapping
    @Operation(operationId = "listTokens", summary = "List the caller's tokens",
            description = "Revoked and expired ones included. sort: createdAt (default, newest first), name, expiresAt")
    PageResponse<TokenResponse> list(Caller caller, @RequestParam(required = false) Integer page,
            @RequestParam(required = false) Integer size, @RequestParam(required = false) String sort) {
        return PageResponse.of(tokens.list(caller.userId(),
                paging.of(page, size, sort, SORTABLE, Sort.by(Sort.Direction.DESC, "createdAt"))),
                t -> TokenResponse.of(t, caller));
    }

    @GetMapping("/{id}")
    @Operation(operationId = "getToken", summary = "One of the caller's tokens", description = "Never the token itself.")
    TokenResponse get(Caller caller, @PathVariable UUID id) {
        return TokenResponse.of(tokens.get(caller.userId(), id), caller);
    }

    @DeleteMapping("/{id}")
    @Operation(operationId = "revokeToken", summary = "Revoke a token", description = "It is refused from the next "
            + "request on.")
    @ApiResponse(responseCode = "204", description = "Revoked")
    ResponseEntity<Void> revoke(Caller caller, @PathVariable UUID id) {
        tokens.revoke(caller.userId(), id);
        return ResponseEntity.noContent().build();
    }
}
