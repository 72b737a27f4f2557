package dev.palisade.platform.tenantdb;

import dev.palisade.model.ConflictException;
import dev.palisade.platform.tenantdb.TenantDatabaseStore.Database;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.springframework.stereotype.Component;

/**
 * Backup and restore of a tenant's database with PostgreSQL's own {@code pg_dump} and
 * {@code pg_restore} (custom format), streamed. The embedded binaries hold only {@code initdb},
 * {@code pg_ctl} and {@code postgres}, so the tools are the node's ({@code postgresql-client}): under
 * {@code /usr/lib/postgresql/N/bin} or on the path, the newest of a major version at least the
 * server's, since {@code pg_dump} refuses a newer server.
 *
 * <p>A dump runs as the administrator. A restore never does: the archive is the tenant's, and its
 * SQL runs as a throw-away role that is only a member of the database's own role and logs in from
 * this node only ({@code pg_hba}: {@code samerole} on loopback), so it can do nothing the tenant
 * cannot do over its own connection.
 */
@Component
class DatabaseDumps {

    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final TenantServer server;

    DatabaseDumps(TenantServer server) {
        this.server = server;
    }

    /** A client tool and its major version. */
    record Tool(Path path, int major) {
    }

    /** The newest {@code name} on this node, or empty. */
    static Optional<Tool> find(String name) {
        List<Path> candidates = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(Path.of("/usr/lib/postgresql"))) {
            dirs.map(d -> d.resolve("bin").resolve(name)).forEach(candidates::add);
        } catch (IOException e) {
            // no Debian layout: the path only
        }
        for (String dir : List.of("/usr/local/bin", "/usr/bin", "/bin")) {
            candidates.add(Path.of(dir, name));
        }
        return candidates.stream().filter(Files::isExecutable).map(DatabaseDumps::version).flatMap(Optional::stream)
                .max(Comparator.comparingInt(Tool::major));
    }

    private static Optional<Tool> version(Path tool) {
        try {
            Process p = new ProcessBuilder(tool.toString(), "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            Matcher m = VERSION.matcher(out);
            return m.find() ? Optional.of(new Tool(tool, Integer.parseInt(m.group(1)))) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /**
     * The tool to use against this server, or a conflict saying precisely why there is none:
     * {@code pg_dump} refuses a server of a newer major version than its own; {@code pg_restore}
     * only issues SQL, and says so itself when it cannot read an archive.
     */
    Tool tool(String name) {
        int serverMajor;
        try (Connection c = server.admin(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("show server_version_num")) {
            rs.next();
            serverMajor = Integer.parseInt(rs.getString(1)) / 10000;
        } catch (SQLException e) {
            throw new ConflictException("the tenant database server cannot be reached: " + e.getMessage());
        }
        Optional<Tool> tool = find(name);
        if (tool.isEmpty()) {
            throw new ConflictException(name + " is not installed on this node (package postgresql-client-" + serverMajor
                    + "); the embedded PostgreSQL's binaries include only initdb, pg_ctl and postgres");
        }
        if (name.equals("pg_dump") && tool.get().major() < serverMajor) {
            throw new ConflictException("this node's " + name + " is version " + tool.get().major()
                    + " and the tenant database server is PostgreSQL " + serverMajor + ": " + name + " needs "
                    + "postgresql-client-" + serverMajor + " or newer (the embedded PostgreSQL's binaries include only "
                    + "initdb, pg_ctl and postgres)");
        }
        return tool.get();
    }

    /**
     * Streams a custom-format dump of the database to {@code out}, which is opened only when the
     * first byte comes: a dump that fails before is a {@link DumpFailed} the caller can still answer.
     */
    void dump(Database d, Tool pgDump, java.util.function.Supplier<OutputStream> out) throws IOException {
        TenantServer.Login admin = server.adminLogin();
        OutputStream lazy = new OutputStream() {
            private OutputStream target;

            private OutputStream target() {
                if (target == null) {
                    target = out.get();
                }
                return target;
            }

            @Override
            public void write(int b) throws IOException {
                target().write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                target().write(b, off, len);
            }
        };
        run(List.of(pgDump.path().toString(), "--format=custom", "--no-owner", "--no-acl", "--host=" + admin.host(),
                "--port=" + admin.port(), "--username=" + admin.user(), "--dbname=" + d.dbName()), admin, null, lazy);
    }

    /**
     * Restores a custom-format archive into the database (its objects replaced, in one transaction),
     * as a throw-away member of the database's role.
     */
    void restore(Database d, Tool pgRestore, InputStream archive) throws IOException {
        String role = "restore_" + d.dbName();
        byte[] random = new byte[24];
        RANDOM.nextBytes(random);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        TenantServer.Login admin = server.adminLogin();
        try (Connection c = server.admin(); Statement s = c.createStatement()) {
            s.execute("drop role if exists \"" + role + "\"");
            s.execute("create role \"" + role + "\" login password '" + password + "' in role \"" + d.dbName() + "\"");
        } catch (SQLException e) {
            throw new ConflictException("the restore could not begin: " + e.getMessage());
        }
        try {
            TenantServer.Login login = new TenantServer.Login(admin.host(), admin.port(), role, password);
            run(List.of(pgRestore.path().toString(), "--no-owner", "--no-acl", "--clean", "--if-exists",
                    "--single-transaction", "--exit-on-error", "--role=" + d.dbName(), "--host=" + login.host(),
                    "--port=" + login.port(), "--username=" + role, "--dbname=" + d.dbName()), login, archive, null);
        } finally {
            try (Connection c = server.admin(); Statement s = c.createStatement()) {
                s.execute("select pg_terminate_backend(pid) from pg_stat_activity where usename = '" + role + "'");
                s.execute("drop role if exists \"" + role + "\"");
            } catch (SQLException e) {
                // the next restore of this database drops it first
            }
        }
    }

    /** Runs a client tool with the login's password in a 0600 pgpass file, feeding and draining it. */
    private static void run(List<String> command, TenantServer.Login login, InputStream in, OutputStream out)
            throws IOException {
        Path pass = Files.createTempFile("palisade-pgpass", "", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(pass, "*:*:*:" + login.user() + ":" + login.password() + "\n", StandardCharsets.UTF_8);
            ProcessBuilder pb = new ProcessBuilder(command);
            pb.environment().clear();
            pb.environment().put("PGPASSFILE", pass.toString());
            pb.environment().put("PGCONNECT_TIMEOUT", "10");
            Process p = pb.start();
            CompletableFuture<String> errors = CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return e.getMessage();
                }
            });
            try {
                if (in != null) {
                    try (OutputStream stdin = p.getOutputStream()) {
                        in.transferTo(stdin);
                    }
                } else {
                    p.getOutputStream().close();
                }
                if (out != null) {
                    p.getInputStream().transferTo(out);
                } else {
                    p.getInputStream().transferTo(OutputStream.nullOutputStream());
                }
                int status = p.waitFor();
                if (status != 0) {
                    String why = errors.join().lines().filter(l -> !l.isBlank()).findFirst().orElse("exit status " + status);
                    throw new DumpFailed(command.get(0).replaceAll(".*/", "") + " failed: " + why);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            } finally {
                p.destroyForcibly();
            }
        } finally {
            Files.deleteIfExists(pass);
        }
    }

    /** The tool ended with an error; its first line of stderr says why. */
    static final class DumpFailed extends RuntimeException {
        DumpFailed(String message) {
            super(message);
        }
    }
}
