package dev.palisade.platform.security;

import dev.palisade.model.audit.AuditLog;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Every refused password login in the audit log ({@code login.refused}): the name tried (as
 * typed, control characters dropped, cut to a length) and the address, whatever the cause.
 */
@Component
class LoginAudit {

    private final AuditLog audit;
    private final TransactionTemplate tx;

    LoginAudit(AuditLog audit, TransactionTemplate tx) {
        this.audit = audit;
        this.tx = tx;
    }

    void refused(String account, String address, String why) {
        String name = account == null ? "-" : account.replaceAll("\\p{Cntrl}", "");
        String target = "user:" + (name.length() > 64 ? name.substring(0, 64) : name);
        tx.executeWithoutResult(s -> audit.record("anonymous", null, null, "login.refused", target,
                why + " from " + address));
    }
}
