package dev.palisade.platform.secondfactor;

import dev.palisade.platform.account.Passwords;
import dev.palisade.web.account.SecondFactorActions;
import dev.palisade.web.support.CurrentUser;
import java.util.List;
import java.util.Optional;
import org.springframework.stereotype.Component;

/** The account page's second factor, through {@link SecondFactors}. */
@Component
class ConsoleSecondFactorActions implements SecondFactorActions {

    private final SecondFactors secondFactors;
    private final Passwords passwords;

    ConsoleSecondFactorActions(SecondFactors secondFactors, Passwords passwords) {
        this.secondFactors = secondFactors;
        this.passwords = passwords;
    }

    @Override
    public Status status(CurrentUser me) {
        return secondFactors.status(me.id(), me.role());
    }

    @Override
    public Setup begin(CurrentUser me) {
        return secondFactors.begin(me.id(), me.username());
    }

    @Override
    public Optional<Setup> pending(CurrentUser me) {
        return secondFactors.pending(me.id(), me.username());
    }

    @Override
    public List<String> confirm(CurrentUser me, String code) {
        return secondFactors.confirm(me.id(), me.username(), me.tenantId(), me.tenantSlug(), code);
    }

    @Override
    public void disable(CurrentUser me, String currentPassword, String code) {
        if (!passwords.isCurrent(me.id(), currentPassword)) {
            throw new Refused("currentPassword", "is not your current password");
        }
        if (!secondFactors.verify(me.id(), me.username(), code)) {
            throw new Refused("code", "is not a current code nor an unused recovery code");
        }
        secondFactors.disable(me.id(), me.username(), me.role(), me.tenantId(), me.tenantSlug());
    }
}
