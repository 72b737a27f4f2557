package dev.palisade.web.service;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The deploy form: one argument of the command a line (none: the image's Entrypoint and Cmd),
 * KEY=VALUE environment lines, secret lines ({@code name} for the file /run/secrets/name,
 * {@code name:VAR} for an environment variable), volume lines ({@code name:/path}, {@code :ro} after
 * it for read-only), limits in the units people think in.
 */
public class DeployForm {

    private String name;
    private String image = "host";
    private String command = "";
    private Integer port;
    private String healthPath;
    private String restartPolicy = "ALWAYS";
    private String env = "";
    private String secrets = "";
    private String volumes = "";
    private Double cpuCores;
    private boolean scaleToZero;
    private Integer idleTimeoutSeconds;
    private Integer instances;
    private Long memoryMb;
    private String platform = "auto";
    private String network = "loopback";

    List<String> commandLines() {
        List<String> out = new ArrayList<>();
        for (String line : command.split("\\R")) {
            if (!line.isBlank()) {
                out.add(line.strip());
            }
        }
        return out;
    }

    Map<String, String> envMap() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : env.split("\\R")) {
            int eq = line.indexOf('=');
            if (!line.isBlank()) {
                out.put(eq < 0 ? line.strip() : line.substring(0, eq).strip(), eq < 0 ? "" : line.substring(eq + 1));
            }
        }
        return out;
    }

    Map<String, String> secretMap() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : secrets.split("\\R")) {
            String l = line.strip();
            if (!l.isEmpty()) {
                int colon = l.indexOf(':');
                out.put(colon < 0 ? l : l.substring(0, colon).strip(), colon < 0 ? null : l.substring(colon + 1).strip());
            }
        }
        return out;
    }

    List<ServiceConsole.Mount> volumeMounts() {
        List<ServiceConsole.Mount> out = new ArrayList<>();
        for (String line : volumes.split("\\R")) {
            String l = line.strip();
            if (!l.isEmpty()) {
                boolean ro = l.endsWith(":ro");
                String m = ro ? l.substring(0, l.length() - 3) : l;
                int colon = m.indexOf(':');
                out.add(new ServiceConsole.Mount(colon < 0 ? m : m.substring(0, colon).strip(),
                        colon < 0 ? null : m.substring(colon + 1).strip(), ro));
            }
        }
        return out;
    }

    public String getVolumes() {
        return volumes;
    }

    public void setVolumes(String volumes) {
        this.volumes = volumes == null ? "" : volumes;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name == null ? null : name.strip();
    }

    public String getImage() {
        return image;
    }

    public void setImage(String image) {
        this.image = image;
    }

    public String getCommand() {
        return command;
    }

    public void setCommand(String command) {
        this.command = command == null ? "" : command;
    }

    public Integer getPort() {
        return port;
    }

    public void setPort(Integer port) {
        this.port = port;
    }

    public String getHealthPath() {
        return healthPath;
    }

    public void setHealthPath(String healthPath) {
        this.healthPath = healthPath == null || healthPath.isBlank() ? null : healthPath.strip();
    }

    public String getRestartPolicy() {
        return restartPolicy;
    }

    public void setRestartPolicy(String restartPolicy) {
        this.restartPolicy = restartPolicy;
    }

    public String getEnv() {
        return env;
    }

    public void setEnv(String env) {
        this.env = env == null ? "" : env;
    }

    public String getSecrets() {
        return secrets;
    }

    public void setSecrets(String secrets) {
        this.secrets = secrets == null ? "" : secrets;
    }

    public Double getCpuCores() {
        return cpuCores;
    }

    public void setCpuCores(Double cpuCores) {
        this.cpuCores = cpuCores;
    }

    public boolean isScaleToZero() {
        return scaleToZero;
    }

    public void setScaleToZero(boolean scaleToZero) {
        this.scaleToZero = scaleToZero;
    }

    public Integer getInstances() {
        return instances;
    }

    public void setInstances(Integer instances) {
        this.instances = instances;
    }

    public Integer getIdleTimeoutSeconds() {
        return idleTimeoutSeconds;
    }

    public void setIdleTimeoutSeconds(Integer idleTimeoutSeconds) {
        this.idleTimeoutSeconds = idleTimeoutSeconds;
    }

    public Long getMemoryMb() {
        return memoryMb;
    }

    public void setMemoryMb(Long memoryMb) {
        this.memoryMb = memoryMb;
    }

    public String getPlatform() {
        return platform;
    }

    public void setPlatform(String platform) {
        this.platform = platform;
    }

    public String getNetwork() {
        return network;
    }

    public void setNetwork(String network) {
        this.network = network;
    }
}
