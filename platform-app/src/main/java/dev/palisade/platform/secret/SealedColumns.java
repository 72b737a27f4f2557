package dev.palisade.platform.secret;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Every {@link SealedColumn} other features keep (SSO client and TOTP secrets, certificate and
 * ACME account keys), so that a key rotation re-seals their values too and retires the old key
 * only when none is left.
 */
@Component
public class SealedColumns {

    private final JdbcClient jdbc;
    private final SecretKeys keys;
    private final TransactionTemplate tx;
    private final List<SealedColumn> columns = new CopyOnWriteArrayList<>();

    SealedColumns(JdbcClient jdbc, SecretKeys keys, TransactionTemplate tx) {
        this.jdbc = jdbc;
        this.keys = keys;
        this.tx = tx;
    }

    /** The column {@code sealedColumn} of {@code table} (a {@code key_id} column beside it), rows named by {@code idColumn}. */
    public SealedColumn register(String table, String idColumn, String sealedColumn) {
        SealedColumn column = new SealedColumn(jdbc, keys, tx, table, idColumn, sealedColumn);
        columns.add(column);
        return column;
    }

    /** Re-seals every registered column's values not sealed with the current key; returns how many. */
    int resealAll() {
        return columns.stream().mapToInt(SealedColumn::resealAll).sum();
    }

    /** How many of the registered columns' values are sealed with a key other than the current one. */
    public int sealedWithOlderKeys() {
        return columns.stream().mapToInt(SealedColumn::sealedWithOlderKeys).sum();
    }
}
