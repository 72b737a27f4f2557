package dev.palisade.platform.tenantdb;

import dev.palisade.platform.dispatch.WorkloadStore;
import dev.palisade.sandbox.egress.EgressRules;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import jakarta.annotation.PreDestroy;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * One port per tenant on the node's service address through which that tenant's sandboxes reach
 * the embedded tenant database server, which itself listens on loopback only. A sandbox's egress
 * chain names only its own tenant's port, so another tenant's database is refused at TCP and
 * recorded as any refused connection is; and the gate behind the port admits only logins as the
 * tenant's own roles ({@link GateConnection}), so credentials taken from another tenant do not get
 * in through it either, and that refusal is a security event too. A port, once chosen, is kept
 * ({@code tenant_database_gate}): the tenant's connection strings name it.
 *
 * <p>An external server, or a node without a service address, has no gates: its address is the
 * one the server gives ({@link TenantServer#endpoint()}).
 */
@Component
public class DatabaseGates {

    private static final Logger log = LoggerFactory.getLogger(DatabaseGates.class);
    /** Refusals waiting to be recorded; past it they are logged only (a flood must not block the gate). */
    private static final int RECORD_QUEUE = 100;

    private final TenantServer server;
    private final JdbcClient jdbc;
    private final WorkloadStore events;
    private final TenantDatabaseStore store;
    private final Map<Long, Channel> open = new ConcurrentHashMap<>();
    private final ThreadPoolExecutor recorder = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(RECORD_QUEUE), new DefaultThreadFactory("database-gate-events", true),
            (task, pool) -> log.warn("A database gate refusal was not recorded: too many at once"));
    private EventLoopGroup group;

    DatabaseGates(TenantServer server, JdbcClient jdbc, WorkloadStore events, TenantDatabaseStore store) {
        this.server = server;
        this.jdbc = jdbc;
        this.events = events;
        this.store = store;
        recorder.allowCoreThreadTimeOut(true);
    }

    /** Where the tenant's programs reach its databases: its own gate, or the server itself when there are no gates. */
    public TenantServer.Endpoint endpoint(long tenantId) {
        Optional<String> address = server.sandboxAddress();
        return address.map(a -> new TenantServer.Endpoint(a, open(tenantId, a))).orElseGet(server::endpoint);
    }

    /** The node service a sandbox of the tenant is given for its databases: its gate; none without gates. */
    public Optional<EgressRules.Destination> sandboxDestination(long tenantId) {
        return server.sandboxAddress().map(a -> EgressRules.Destination.parse(a + ":" + open(tenantId, a)));
    }

    /**
     * At start: the node that runs the embedded server opens the kept gates now, so that running
     * programs reconnect at once. A port another program took meanwhile is logged; that tenant's
     * next sandbox start fails naming it, and the others are served.
     */
    @EventListener(ApplicationReadyEvent.class)
    void openKept() {
        List<Long> tenants = jdbc.sql("select tenant_id from tenant_database_gate order by tenant_id").query(Long.class).list();
        if (tenants.isEmpty() || !server.made()) {
            return;
        }
        try {
            Optional<String> address = server.sandboxAddress();
            if (address.isEmpty()) {
                return;
            }
            for (long tenant : tenants) {
                try {
                    open(tenant, address.get());
                } catch (IllegalStateException e) {
                    log.error("{}", e.getMessage());
                }
            }
        } catch (RuntimeException e) {
            log.error("The tenant database gates did not open: {}", e.getMessage());
        }
    }

    private synchronized int open(long tenantId, String address) {
        Channel ch = open.get(tenantId);
        if (ch != null && ch.isActive()) {
            return ((InetSocketAddress) ch.localAddress()).getPort();
        }
        Optional<Integer> kept = jdbc.sql("select port from tenant_database_gate where tenant_id = :t")
                .param("t", tenantId).query(Integer.class).optional();
        try {
            ch = bootstrap(tenantId).bind(address, kept.orElse(0)).sync().channel();
        } catch (Exception e) {
            throw new IllegalStateException("tenant " + tenantId + "'s database address " + address + ":"
                    + kept.map(String::valueOf).orElse("(any port)") + " cannot be opened: " + e.getMessage(), e);
        }
        int port = ((InetSocketAddress) ch.localAddress()).getPort();
        if (kept.isEmpty()) {
            jdbc.sql("insert into tenant_database_gate (tenant_id, port) values (:t, :p)").param("t", tenantId)
                    .param("p", port).update();
        }
        open.put(tenantId, ch);
        log.info("Tenant {}'s databases are reached at {}:{}", tenantId, address, port);
        return port;
    }

    private ServerBootstrap bootstrap(long tenantId) {
        if (group == null) {
            group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("database-gate", true),
                    NioIoHandler.newFactory());
        }
        String rolePrefix = TenantDatabaseStore.dbName(tenantId, "");
        InetSocketAddress backend = new InetSocketAddress("127.0.0.1", server.localPort());
        return new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new GateConnection(rolePrefix, backend,
                                (user, from) -> refused(tenantId, user, from)));
                    }
                });
    }

    /** Closes the gates of tenants not among {@code tenants} (deleted ones: their rows went with them). */
    synchronized void closeAllBut(Collection<Long> tenants) {
        Set<Long> live = Set.copyOf(tenants);
        open.entrySet().removeIf(e -> {
            if (live.contains(e.getKey())) {
                return false;
            }
            e.getValue().close();
            log.info("Tenant {}'s database gate closed: the tenant was deleted", e.getKey());
            return true;
        });
    }

    private void refused(long tenantId, String user, String from) {
        recorder.execute(() -> {
            try {
                events.securityEvent(tenantId, store.slug(tenantId), null, "database_refused", null,
                        "login as role '" + user + "' from " + from + " refused: not one of this tenant's databases");
            } catch (RuntimeException e) {
                log.warn("A database gate refusal was not recorded: {}", e.getMessage());
            }
        });
    }

    @PreDestroy
    synchronized void close() {
        open.values().forEach(Channel::close);
        open.clear();
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            group = null;
        }
        recorder.shutdown();
    }
}
