package dev.palisade.platform.logs;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.UUID;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Listens on the database channel {@code workload_log}, which triggers notify whenever a log
 * chunk is stored or a workload changes state (migration V31_1), and tells the node's
 * {@link LogFanout}. So a follower here sees what a workload on any instance writes. One thread
 * and one connection of its own (outside the pool) per node; after a lost connection it listens
 * again and every followed log is read afresh.
 */
@Component
class LogNotices implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(LogNotices.class);
    static final String CHANNEL = "workload_log";
    private static final int WAIT_MILLIS = 500;

    private final DataSource dataSource;
    private final LogFanout fanout;
    private volatile boolean running;
    private volatile boolean listening;
    private Thread thread;

    LogNotices(DataSource dataSource, LogFanout fanout) {
        this.dataSource = dataSource;
        this.fanout = fanout;
    }

    /** Whether the notices are being received now. */
    boolean listening() {
        return listening;
    }

    @Override
    public synchronized void start() {
        running = true;
        thread = new Thread(this::listen, "palisade-log-listen");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public synchronized void stop() {
        running = false;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(2 * WAIT_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private void listen() {
        long backoff = WAIT_MILLIS;
        while (running) {
            try (Connection c = connect()) {
                try (Statement s = c.createStatement()) {
                    s.execute("listen " + CHANNEL);
                }
                PGConnection pg = c.unwrap(PGConnection.class);
                listening = true;
                backoff = WAIT_MILLIS;
                fanout.changedAll();
                while (running) {
                    PGNotification[] notices = pg.getNotifications(WAIT_MILLIS);
                    if (notices != null) {
                        for (PGNotification n : notices) {
                            changed(n.getParameter());
                        }
                    }
                }
            } catch (SQLException e) {
                if (running) {
                    log.warn("Listening for log notices failed ({}); again in {} ms", e.getMessage(), backoff);
                }
            } finally {
                listening = false;
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                return;
            }
            backoff = Math.min(backoff * 2, 30_000);
        }
    }

    private void changed(String workload) {
        try {
            fanout.changed(UUID.fromString(workload));
        } catch (IllegalArgumentException notOurs) {
            // someone else's notify on this channel
        }
    }

    /** A connection outside the pool: it is held for as long as the node runs. */
    private Connection connect() throws SQLException {
        if (dataSource instanceof HikariDataSource pool && pool.getJdbcUrl() != null) {
            Properties props = new Properties();
            props.putAll(pool.getDataSourceProperties());
            if (pool.getUsername() != null) {
                props.setProperty("user", pool.getUsername());
            }
            if (pool.getPassword() != null) {
                props.setProperty("password", pool.getPassword());
            }
            return DriverManager.getConnection(pool.getJdbcUrl(), props);
        }
        return dataSource.getConnection();
    }
}
