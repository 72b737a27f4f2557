package dev.palisade.platform.secret;

import dev.palisade.platform.secret.SecretKeys.Sealed;
import java.util.List;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A column of sealed values in another feature's table (beside it a {@code key_id} column), each
 * bound to its row by the row's id as associated data, so a value copied to another row does not
 * open. Made through {@link SealedColumns}, so that rotation re-seals it; the table and column
 * names are the caller's constants, never input.
 */
public final class SealedColumn {

    private final JdbcClient jdbc;
    private final SecretKeys keys;
    private final TransactionTemplate tx;
    private final String table, idColumn, sealedColumn;

    SealedColumn(JdbcClient jdbc, SecretKeys keys, TransactionTemplate tx, String table, String idColumn,
            String sealedColumn) {
        this.jdbc = jdbc;
        this.keys = keys;
        this.tx = tx;
        this.table = table;
        this.idColumn = idColumn;
        this.sealedColumn = sealedColumn;
    }

    public Sealed seal(Object id, byte[] plain) {
        return keys.seal(plain, associated(id));
    }

    public byte[] open(Object id, Sealed sealed) {
        return keys.open(sealed, associated(id));
    }

    private String associated(Object id) {
        return table + ":" + id;
    }

    /** Re-seals every value not sealed with the current key; returns how many. */
    int resealAll() {
        String current = keys.currentKeyId();
        int n = 0;
        while (true) {
            Integer done = tx.execute(status -> {
                record Row(Object id, Sealed sealed) {
                }
                List<Row> rows = jdbc.sql("select " + idColumn + ", key_id, " + sealedColumn + " from " + table
                                + " where key_id <> :current and key_id in (:known) limit 100 for update skip locked")
                        .param("current", current).param("known", keys.knownIds())
                        .query((rs, i) -> new Row(rs.getObject(1), new Sealed(rs.getString(2), rs.getBytes(3)))).list();
                for (Row r : rows) {
                    Sealed again = seal(r.id(), open(r.id(), r.sealed()));
                    jdbc.sql("update " + table + " set " + sealedColumn + " = :sealed, key_id = :key where " + idColumn + " = :id")
                            .param("sealed", again.bytes()).param("key", again.keyId()).param("id", r.id()).update();
                }
                return rows.size();
            });
            if (done == null || done == 0) {
                return n;
            }
            n += done;
        }
    }

    /** How many values are sealed with a key other than the current one. */
    int sealedWithOlderKeys() {
        return jdbc.sql("select count(*) from " + table + " where key_id <> :current")
                .param("current", keys.currentKeyId()).query(Integer.class).single();
    }
}
