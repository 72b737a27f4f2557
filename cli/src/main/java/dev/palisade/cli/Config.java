package dev.palisade.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Where {@code palisade login} keeps the platform's URL, the token and the default tenant:
 * {@code $PALISADE_CONFIG_DIR}, else {@code $XDG_CONFIG_HOME/palisade}, else
 * {@code ~/.config/palisade}; the file {@code config.json} is created readable by its owner only
 * (0600), before the token is written into it.
 */
record Config(String url, String token, String tenant) {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    static Path file() {
        String dir = System.getenv("PALISADE_CONFIG_DIR");
        if (dir == null || dir.isBlank()) {
            String xdg = System.getenv("XDG_CONFIG_HOME");
            dir = (xdg == null || xdg.isBlank() ? Path.of(System.getProperty("user.home"), ".config") : Path.of(xdg))
                    .resolve("palisade").toString();
        }
        return Path.of(dir).resolve("config.json");
    }

    static Config load() throws IOException {
        Path file = file();
        if (!Files.exists(file)) {
            return new Config(null, null, null);
        }
        JsonNode node = JSON.readTree(Files.readString(file));
        return new Config(text(node, "url"), text(node, "token"), text(node, "tenant"));
    }

    void save() throws IOException {
        Path file = file();
        Files.createDirectories(file.getParent(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        if (!Files.exists(file)) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        Map<String, String> values = new java.util.LinkedHashMap<>();
        values.put("url", url);
        values.put("token", token);
        values.put("tenant", tenant);
        Files.writeString(file, JSON.writeValueAsString(values) + "\n", StandardOpenOption.TRUNCATE_EXISTING);
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asString();
    }
}
