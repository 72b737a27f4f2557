package dev.palisade.web.workload;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.web.multipart.MultipartFile;

/**
 * The submit form: the command one argument per line (exactly what the program gets, no shell
 * quoting to get wrong), the environment as KEY=value lines, input files packed for the
 * workspace, and limits in seconds and MiB that the quota caps.
 */
class SubmitForm {

    @NotBlank
    @Size(max = 100)
    private String name;

    @NotBlank
    private String image = "host";

    @NotBlank
    @Size(max = 64 * 1024)
    private String command;

    @Size(max = 64 * 1024)
    private String env = "";

    @Pattern(regexp = "auto|ptrace|kvm")
    private String platform = "auto";

    @Min(1) @Max(86_400)
    private Long cpuSeconds;
    @Min(1) @Max(604_800)
    private Long wallSeconds;
    @Min(1) @Max(1_048_576)
    private Long memoryMib;
    @Min(1) @Max(100_000)
    private Integer maxProcesses;

    private List<MultipartFile> files = new ArrayList<>();

    List<String> commandArgs() {
        List<String> args = new ArrayList<>();
        for (String line : command.split("\r?\n", -1)) {
            args.add(line);
        }
        while (!args.isEmpty() && args.get(args.size() - 1).isEmpty()) {
            args.remove(args.size() - 1);
        }
        return args;
    }

    /** KEY=value lines; null when a line has no '=' (reported on the field). */
    Map<String, String> envMap() {
        Map<String, String> map = new LinkedHashMap<>();
        if (env == null) {
            return map;
        }
        for (String line : env.split("\r?\n")) {
            if (line.isBlank()) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                return null;
            }
            map.put(line.substring(0, eq).trim(), line.substring(eq + 1));
        }
        return map;
    }

    public String getName() { return name; }
    public void setName(String name) { this.name = name == null ? null : name.trim(); }
    public String getImage() { return image; }
    public void setImage(String image) { this.image = image; }
    public String getCommand() { return command; }
    public void setCommand(String command) { this.command = command; }
    public String getEnv() { return env; }
    public void setEnv(String env) { this.env = env; }
    public String getPlatform() { return platform; }
    public void setPlatform(String platform) { this.platform = platform; }
    public Long getCpuSeconds() { return cpuSeconds; }
    public void setCpuSeconds(Long cpuSeconds) { this.cpuSeconds = cpuSeconds; }
    public Long getWallSeconds() { return wallSeconds; }
    public void setWallSeconds(Long wallSeconds) { this.wallSeconds = wallSeconds; }
    public Long getMemoryMib() { return memoryMib; }
    public void setMemoryMib(Long memoryMib) { this.memoryMib = memoryMib; }
    public Integer getMaxProcesses() { return maxProcesses; }
    public void setMaxProcesses(Integer maxProcesses) { this.maxProcesses = maxProcesses; }
    public List<MultipartFile> getFiles() { return files; }
    public void setFiles(List<MultipartFile> files) { this.files = files; }
}
