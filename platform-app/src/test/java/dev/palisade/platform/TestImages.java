package dev.palisade.platform;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code docker save} archives built in tests: layers given as tar bytes (plain or compressed),
 * a config with their diff_ids (each layer's uncompressed sha256, given or computed) and the
 * runtime settings, and a manifest.json naming them.
 */
public final class TestImages {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private TestImages() {
    }

    /** One layer: what the archive carries, and the sha256 of its uncompressed tar. */
    public record Layer(byte[] bytes, String diffId) {

        /** A plain tar layer. */
        public static Layer of(byte[] tar) {
            return new Layer(tar, sha256(tar));
        }
    }

    /** A busybox layer: /bin/busybox and a few applets, enough for shell entrypoints and httpd. */
    public static byte[] busyboxLayer() throws Exception {
        byte[] busybox = java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/bin/busybox"));
        return TestArchives.tar(tar -> {
            TestArchives.entry(tar, "bin/", null, 040755, null);
            TestArchives.entry(tar, "bin/busybox", busybox, 0100755, null);
            for (String applet : List.of("sh", "mkdir", "id", "cat", "ls")) {
                TestArchives.entry(tar, "bin/" + applet, null, 0120777, "busybox");
            }
        });
    }

    /** A docker save archive of the layers with this {@code config} (Entrypoint, Cmd, Env, ExposedPorts…). */
    public static byte[] dockerSave(Map<String, Object> config, List<Layer> layers) throws Exception {
        List<String> diffIds = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            diffIds.add(layers.get(i).diffId());
            names.add("layer" + i + "/layer.tar");
        }
        byte[] configJson = JSON.writeValueAsBytes(Map.of("architecture", "amd64", "os", "linux", "config", config,
                "rootfs", Map.of("type", "layers", "diff_ids", diffIds)));
        String configName = sha256(configJson).substring(7) + ".json";
        byte[] manifest = JSON.writeValueAsBytes(List.of(Map.of("Config", configName, "RepoTags", List.of("test:latest"),
                "Layers", names)));
        return TestArchives.tar(tar -> {
            TestArchives.entry(tar, configName, configJson, 0100644, null);
            for (int i = 0; i < layers.size(); i++) {
                TestArchives.entry(tar, names.get(i), layers.get(i).bytes(), 0100644, null);
            }
            TestArchives.entry(tar, "manifest.json", manifest, 0100644, null);
        });
    }

    public static String sha256(byte[] data) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
