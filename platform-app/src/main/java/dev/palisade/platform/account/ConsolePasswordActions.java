package dev.palisade.platform.account;

import dev.palisade.web.account.PasswordActions;
import dev.palisade.web.support.CurrentUser;
import java.util.Optional;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.stereotype.Component;

/** The console's password page and the members page's reset, through {@link Passwords} as the API does. */
@Component
class ConsolePasswordActions implements PasswordActions {

    private final Passwords passwords;

    ConsolePasswordActions(Passwords passwords) {
        this.passwords = passwords;
    }

    @Override
    public void change(CurrentUser me, String currentPassword, String newPassword) {
        try {
            passwords.change(me.id(), currentPassword, newPassword);
        } catch (Passwords.Refused e) {
            throw new Refused(e.field, e.getMessage());
        }
    }

    @Override
    public Optional<String> reset(CurrentUser admin, UUID userId) {
        return passwords.account(userId).filter(a -> a.tenantId() != null && a.tenantId().equals(admin.tenantId()))
                .map(a -> {
                    if (a.id() == admin.id()) {
                        throw new ResponseStatusException(HttpStatus.FORBIDDEN);
                    }
                    return passwords.reset(admin.username(), a);
                });
    }
}
